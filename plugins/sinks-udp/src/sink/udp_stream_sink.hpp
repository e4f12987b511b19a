// The "udp-stream" sink plugin: config and lifecycle around StreamServer.
#pragma once

#include <zzprobe/plugin.hpp>

#include <memory>

#include "stream_server.hpp"

namespace zzp::stream {

class UdpStreamSink : public zzp::Sink {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL; }
    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;
    void on_target(const zzp_target_info& target) override;
    zzp_status write(const zzp_batch& batch) override;
    const void* extension(const char* id) override;

    void stats(zzp_udp_stream_stats* out) const;

private:
    ServerOptions options_;
    std::unique_ptr<StreamServer> server_;
};

// The config schema and descriptor, shared by the plugin entry and the tests.
extern const zzp_plugin_descriptor kUdpStreamDescriptor;

}  // namespace zzp::stream
