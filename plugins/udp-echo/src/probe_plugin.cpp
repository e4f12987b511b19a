// "udp-echo": the probe as a zzprobe plugin — config, target registration, the state hand-over
// of sequence numbers, and the counters extension around the Prober engine.
#include <algorithm>
#include <cstring>
#include <memory>

#include "counters_ext.h"
#include "plugins.hpp"
#include "probe_config.hpp"
#include "prober.hpp"

namespace zzp::udp_echo {
namespace {

constexpr uint32_t kStateFormat = 1;  // u64 count, then per target: str "name|address", u64 next seq

class ProbePlugin final : public zzp::Plugin, public zzp::Stateful, public ProbeOutput {
public:
    ProbePlugin() {
        counters_ext_.struct_size = sizeof counters_ext_;
        counters_ext_.self = this;
        counters_ext_.read = &read_counters;
    }

    void configure(const zzp::Config& c) override {
        ProberConfig config = read_probe_config(c);
        for (ProbeTargetSpec& t : config.targets) {
            t.id = host().intern_target(t.name, t.endpoint.to_string());
            if (t.id == 0) throw zzp::Error(ZZP_E_INTERNAL, "the host refused target '" + t.name + "'");
        }
        prober_ = std::make_unique<Prober>(std::move(config), this);
    }

    void start() override {
        if (!prober_) throw zzp::Error(ZZP_E_STATE, "start before configure");
        std::string error;
        if (!prober_->start(&error)) throw zzp::Error(ZZP_E_IO, error);
    }

    void stop(int64_t deadline_mono_ns) override {
        if (!prober_) return;
        // Leave a margin of the deadline for joining threads and emitting what is left.
        int64_t remaining = deadline_mono_ns - host().mono_now_ns();
        int64_t budget = remaining - std::max<int64_t>(20000000, remaining / 10);
        prober_->stop(std::max<int64_t>(budget, 0));
        host().log(ZZP_LOG_INFO, "udp-echo stopped: %s", prober_->counters().to_string().c_str());
    }

    const void* extension(const char* id) override {
        return std::strcmp(id, ZZP_UDP_ECHO_EXT_COUNTERS) == 0 ? &counters_ext_ : nullptr;
    }

    // zzp::Stateful: sequences continue across a hot swap, per target.
    uint32_t state_format() const override { return kStateFormat; }
    std::string save_state() override {
        zzp::StateWriter w;
        auto seqs = prober_ ? prober_->next_seqs() : std::map<std::string, uint64_t>{};
        w.u64(seqs.size());
        for (const auto& [key, seq] : seqs) {
            w.str(key);
            w.u64(seq);
        }
        return w.bytes();
    }
    void load_state(uint32_t format, const std::string& bytes) override {
        if (format != kStateFormat)
            throw zzp::Error(ZZP_E_UNSUPPORTED, "udp-echo state format " + std::to_string(format) + " is not 1");
        if (!prober_) throw zzp::Error(ZZP_E_STATE, "load_state before configure");
        zzp::StateReader r(bytes);
        uint64_t n = r.u64();
        if (n > kMaxTargets * 16) throw zzp::Error(ZZP_E_INVALID, "udp-echo state names too many targets");
        std::map<std::string, uint64_t> seqs;
        for (uint64_t i = 0; i < n; ++i) {
            std::string key = r.str();
            seqs[key] = r.u64();
        }
        prober_->set_next_seqs(seqs);  // targets not in the new config are simply dropped
    }

    // ProbeOutput
    void emit(const zzp_sample* samples, uint32_t count) override { host().emit(samples, count); }
    int64_t wall_now_ns() override { return host().wall_now_ns(); }
    void log(int level, const std::string& message) override {
        host().log(static_cast<zzp_log_level>(level), "%s", message.c_str());
    }

private:
    static uint32_t read_counters(const void* self, const char** names, uint64_t* values, uint32_t max) {
        auto* p = static_cast<const ProbePlugin*>(self);
        ProberCounters c = p->prober_ ? p->prober_->counters() : ProberCounters{};
        const std::pair<const char*, uint64_t> all[] = {{"sent", c.sent},
                                                        {"replies", c.replies},
                                                        {"lost", c.lost},
                                                        {"send_errors", c.send_errors},
                                                        {"net_errors", c.net_errors},
                                                        {"late", c.late},
                                                        {"duplicates", c.duplicates},
                                                        {"reordered", c.reordered},
                                                        {"remote_corrected", c.remote_corrected},
                                                        {"kernel_ts", c.kernel_ts},
                                                        {"foreign", c.foreign},
                                                        {"stale", c.stale},
                                                        {"skipped_slots", c.skipped_slots}};
        uint32_t n = sizeof all / sizeof all[0];
        for (uint32_t i = 0; i < n && i < max; ++i) {
            if (names) names[i] = all[i].first;
            if (values) values[i] = all[i].second;
        }
        return n;
    }

    std::unique_ptr<Prober> prober_;
    zzp_udp_echo_counters_ext counters_ext_{};
};

}  // namespace

zzp::Plugin* make_probe_plugin() {
    return new ProbePlugin();
}

}  // namespace zzp::udp_echo
