#include "pipeline/host_frames_ext.hpp"

#include <cstring>
#include <string>

#include "common/log.hpp"
#include "pipeline/host_table.hpp"

namespace zzp::host {
namespace {

zzp_status publish_cb(const zzp_host* h, const zzp_frame* frames, uint32_t count, zzp_error* err) {
    if (!h || !h->host_data) return ZZP_E_INVALID;
    return static_cast<HostTable*>(h->host_data)->publish_frames(frames, count, err);
}

constexpr zzp_host_frames_ext kFramesExt = {sizeof(zzp_host_frames_ext), 0, &publish_cb};

}  // namespace

const void* host_extension(const HostServices* services, const char* id) {
    if (services && std::strcmp(id, ZZP_HOST_EXT_FRAMES) == 0 && services->offers_frames()) return &kFramesExt;
    return nullptr;
}

zzp_status HostTable::publish_frames(const zzp_frame* frames, uint32_t count, zzp_error* err) {
    if (!accepting_.load(std::memory_order_acquire)) {
        ignored_emits_.fetch_add(1, std::memory_order_relaxed);
        // Same rule and the same stable text as emit, so the logger folds repeats.
        log_warn(origin(), "publish_frames outside start/stop ignored: a probe may publish only between start and "
                           "the return of stop");
        zzp_error_set(err, nullptr, "publish_frames outside start/stop: nothing published");
        return ZZP_E_STATE;
    }
    if (count == 0) return ZZP_OK;
    if (!frames) {
        zzp_error_set(err, nullptr, "publish_frames: frames is NULL with count %u", count);
        return ZZP_E_INVALID;
    }
    uint32_t rejected = 0;
    zzp_status s = services_->publish_frames(slot_, frames, count, &rejected);
    if (s != ZZP_OK || rejected == 0) return s;
    rejected_frames_.fetch_add(rejected, std::memory_order_relaxed);
    log_warn(origin(), "publish_frames dropped frames with a target id this probe did not intern, interval_ns <= 0 "
                       "or reserved != 0 (counted); fix the probe");
    zzp_error_set(err, nullptr,
                  "%u of %u frames refused: target_id not interned by this instance, interval_ns <= 0 or reserved "
                  "!= 0; the others were published",
                  rejected, count);
    return ZZP_E_INVALID;
}

}  // namespace zzp::host
