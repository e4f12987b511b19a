// "udp-echo-responder": the bundled responder run inside a zzprobe pipeline. It emits no samples;
// it logs its counters every report_interval and at stop, and offers them via the counters
// extension.
#include <cstring>
#include <memory>
#include <mutex>

#include "counters_ext.h"
#include "plugins.hpp"
#include "probe_config.hpp"
#include "responder.hpp"
#include "responder_options.hpp"

namespace zzp::udp_echo {
namespace {

class ResponderPlugin final : public zzp::Plugin {
public:
    ResponderPlugin() {
        counters_ext_.struct_size = sizeof counters_ext_;
        counters_ext_.self = this;
        counters_ext_.read = &read_counters;
    }

    void configure(const zzp::Config& c) override {
        ResponderOptions o;
        o.listen = strings_or(c, "listen", o.listen);
        o.allow = strings_or(c, "allow", o.allow);
        o.rate_per_source = number_or(c, "rate_per_source", o.rate_per_source);
        o.burst = static_cast<double>(integer_or(c, "burst", static_cast<int64_t>(o.burst)));
        o.max_request = size_or(c, "max_request", o.max_request);
        o.hold_ns = duration_or(c, "hold", o.hold_ns);
        o.report_interval_ns = duration_or(c, "report_interval", o.report_interval_ns);
        std::string key, error;
        if (!to_responder_config(o, &config_, &key, &error)) throw zzp::config_error(key, error);
        if (config_.allow.empty())
            host().log(ZZP_LOG_WARN, "udp-echo-responder: 'allow' is empty, every request will be refused");
    }

    void start() override {
        // Bind at start, not configure: during a hot swap the predecessor still holds the port.
        responder_ = std::make_unique<Responder>();
        ResponderConfig config = config_;
        config.report = [this] { log_counters("udp-echo-responder"); };
        std::string error;
        if (!responder_->open(std::move(config), &error)) {
            responder_.reset();
            throw zzp::Error(ZZP_E_IO, error + " (is another responder running on that port?)");
        }
        std::string where;
        for (const Endpoint& e : responder_->bound()) where += (where.empty() ? "" : ", ") + e.to_string();
        host().log(ZZP_LOG_INFO, "udp-echo-responder listening on %s", where.c_str());
        responder_->start();
        std::lock_guard lock(mutex_);
        running_ = responder_.get();
    }

    void stop(int64_t) override {
        if (!responder_) return;
        responder_->stop();
        log_counters("udp-echo-responder stopped");
        {
            std::lock_guard lock(mutex_);
            last_ = responder_->counters();
            running_ = nullptr;
        }
        responder_.reset();
    }

    const void* extension(const char* id) override {
        return std::strcmp(id, ZZP_UDP_ECHO_EXT_COUNTERS) == 0 ? &counters_ext_ : nullptr;
    }

private:
    void log_counters(const char* what) const {
        host().log(ZZP_LOG_INFO, "%s: %s", what, responder_->counters().to_string().c_str());
    }

    static uint32_t read_counters(const void* self, const char** names, uint64_t* values, uint32_t max) {
        auto* p = static_cast<const ResponderPlugin*>(self);
        ResponderCounters c;
        {
            std::lock_guard lock(p->mutex_);  // [thread-safe]: may race with stop()
            c = p->running_ ? p->running_->counters() : p->last_;
        }
        const std::pair<const char*, uint64_t> all[] = {{"received", c.received},
                                                        {"answered", c.answered},
                                                        {"stamped", c.stamped},
                                                        {"refused_not_allowed", c.refused_not_allowed},
                                                        {"refused_rate_limited", c.refused_rate_limited},
                                                        {"refused_malformed", c.refused_malformed},
                                                        {"refused_reply", c.refused_reply},
                                                        {"refused_oversized", c.refused_oversized},
                                                        {"send_failed", c.send_failed}};
        uint32_t n = sizeof all / sizeof all[0];
        for (uint32_t i = 0; i < n && i < max; ++i) {
            if (names) names[i] = all[i].first;
            if (values) values[i] = all[i].second;
        }
        return n;
    }

    ResponderConfig config_;
    std::unique_ptr<Responder> responder_;
    mutable std::mutex mutex_;
    const Responder* running_ = nullptr;  // under mutex_, for read_counters
    ResponderCounters last_;
    zzp_udp_echo_counters_ext counters_ext_{};
};

}  // namespace

zzp::Plugin* make_responder_plugin() {
    return new ResponderPlugin();
}

}  // namespace zzp::udp_echo
