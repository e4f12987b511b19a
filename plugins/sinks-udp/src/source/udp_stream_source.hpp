// The "udp-stream-source" probe: subscribes to another zzprobe's udp-stream sink and republishes
// its frames into this host through the host extension "zzp.frames/1", so `zzprobe run` here
// can record or stream what the remote host measures. It sends no probes of its own and emits
// no samples: what the remote sink streams are frames (live revisions and finals).
#pragma once

#include <zzprobe/host_frames.h>
#include <zzprobe/plugin.hpp>

#include <memory>
#include <mutex>

#include "frame_relay.hpp"
#include "stream_client.hpp"

namespace zzp::stream {

class UdpStreamSource : public zzp::Plugin {
public:
    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;

private:
    void publish(const zzp_frame* frames, size_t count);

    ClientOptions options_;
    std::string connect_;
    const zzp_host_frames_ext* frames_ext_ = nullptr;
    std::unique_ptr<FrameRelay> relay_;     // used on the client's thread only
    std::unique_ptr<StreamClient> client_;  // between start and stop
    uint64_t refused_ = 0;                  // frames the host refused (logged by the host too)
};

extern const zzp_plugin_descriptor kUdpStreamSourceDescriptor;

}  // namespace zzp::stream
