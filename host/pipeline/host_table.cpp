#include "pipeline/host_table.hpp"

#include <cstring>

#include "common/log.hpp"
#include "pipeline/host_frames_ext.hpp"

namespace zzp::host {

HostTable::HostTable(HostServices* services, size_t slot, std::string instance_id, std::string plugin_id)
    : services_(services), slot_(slot), instance_id_(std::move(instance_id)), plugin_id_(std::move(plugin_id)) {
    origin_ = plugin_id_ + "/" + instance_id_;
    table_.struct_size = sizeof table_;
    table_.host_data = this;
    table_.instance_id = instance_id_.c_str();
    table_.log = &log_cb;
    table_.intern_target = &intern_cb;
    table_.emit = &emit_cb;
    table_.wall_now_ns = &wall_cb;
    table_.mono_now_ns = &mono_cb;
    table_.request_stop = &stop_cb;
    table_.get_extension = &ext_cb;
}

std::string HostTable::origin() const {
    std::lock_guard lock(origin_mutex_);
    return origin_;
}

void HostTable::set_origin(std::string origin) {
    std::lock_guard lock(origin_mutex_);
    origin_ = std::move(origin);
}

void HostTable::log_cb(const zzp_host* h, int level, const char* message) {
    if (!h || !message) return;
    if (level < ZZP_LOG_DEBUG || level > ZZP_LOG_ERROR) level = ZZP_LOG_ERROR;
    log(static_cast<LogLevel>(level), self(h)->origin(), message);
}

uint32_t HostTable::intern_cb(const zzp_host* h, const zzp_target_desc* desc) {
    if (!h || !desc || !ZZP_STRUCT_HAS(desc, zzp_target_desc, address) || !desc->name) return 0;
    return self(h)->services_->intern_target(self(h)->slot_, *desc);
}

void HostTable::emit_cb(const zzp_host* h, const zzp_sample* samples, uint32_t count) {
    if (!h || count == 0) return;
    HostTable* t = self(h);
    if (!t->accepting_.load(std::memory_order_acquire)) {
        t->ignored_emits_.fetch_add(1, std::memory_order_relaxed);
        // A stable text, so the logger folds repeats; the count is in ignored_emits().
        log_warn(t->origin(), "emit outside start/stop ignored: a probe may emit only between start and the "
                              "return of stop");
        return;
    }
    if (!samples) return;
    t->services_->ingest(t->slot_, samples, count);
}

int64_t HostTable::wall_cb(const zzp_host* h) { return self(h)->services_->wall_ns(); }
int64_t HostTable::mono_cb(const zzp_host* h) { return self(h)->services_->mono_ns(); }

void HostTable::stop_cb(const zzp_host* h, const char* reason) {
    if (!h) return;
    self(h)->services_->request_stop(self(h)->origin(), reason ? reason : "");
}

int HostTable::handing_over_cb(const zzp_host* h) {
    return h && self(h)->handing_over_.load(std::memory_order_acquire) ? 1 : 0;
}

const void* HostTable::ext_cb(const zzp_host* h, const char* id) {
    if (!h || !id) return nullptr;
    static const zzp_handover_ext handover{sizeof(zzp_handover_ext), &handing_over_cb};
    if (std::strcmp(id, ZZP_HOST_EXT_HANDOVER) == 0) return &handover;  // hot swap, see set_handing_over
    return host_extension(self(h)->services_, id);  // host_frames_ext.cpp
}

}  // namespace zzp::host
