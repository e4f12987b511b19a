// The "prometheus" sink plugin: config and lifecycle around MetricsStore (fed by write()) and
// HttpServer (serving snapshots of it), plus the state extension for hot swaps.
#pragma once

#include <zzprobe/plugin.hpp>

#include <memory>
#include <string>

#include "exposition.hpp"
#include "http_server.hpp"
#include "metrics_store.hpp"
#include "settings.hpp"

namespace zzp::prom {

class PrometheusSink : public zzp::Sink, public zzp::Stateful {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES; }
    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;
    void on_target(const zzp_target_info& target) override;
    zzp_status write(const zzp_batch& batch) override;

    // State format 1: last batch seq taken + the store (counters, histogram, window).
    uint32_t state_format() const override { return 1; }
    std::string save_state() override;
    void load_state(uint32_t format, const std::string& bytes) override;

    // For tests and the benchmark (the bound port when listen used port 0).
    uint16_t port() const { return server_ ? server_->port() : 0; }
    ServerStats server_stats() const { return server_ ? server_->stats() : ServerStats{}; }
    const Settings& settings() const { return settings_; }
    MetricsStore* store() { return store_.get(); }
    // Renders as a scrape would (server thread only while started).
    std::shared_ptr<const std::string> render(Format format);

private:
    Settings settings_;
    RenderInfo render_info_;
    std::unique_ptr<MetricsStore> store_;
    std::unique_ptr<HttpServer> server_;
    uint64_t restored_seq_ = 0;
    // The last rendering per format, reused while the store has not changed (many scrapers).
    struct Cached {
        uint64_t version = ~0ull;
        int64_t at_wall_ns = 0;
        std::shared_ptr<const std::string> body;
    };
    Cached cache_[2];
};

// The config schema and descriptor, shared by the plugin entry and the tests.
extern const zzp_plugin_descriptor kPrometheusDescriptor;

}  // namespace zzp::prom
