#include "udp_stream_source.hpp"

#include <stdexcept>

#include "protocol/secret_config.hpp"

namespace zzp::stream {

void UdpStreamSource::configure(const zzp::Config& c) {
    connect_ = c.has("connect") ? c.string("connect") : "127.0.0.1:7879";
    std::string why;
    auto address = parse_udp_address(connect_, &why);
    if (!address) throw zzp::config_error("connect", why);
    options_.server = *address;

    options_.history_ns = c.has("history") ? c.duration("history").count() : 0;
    if (options_.history_ns < 0 || options_.history_ns > 7 * 24 * 3600'000'000'000)
        throw zzp::config_error("history", "history must be between \"0s\" and \"7d\"");

    options_.key = secret_from_config(c);
    const zzp::Host& h = host();
    options_.wall_now_ns = [h] { return h.wall_now_ns(); };
}

void UdpStreamSource::start() {
    const zzp_host* raw = host().raw();
    const void* ext = ZZP_STRUCT_HAS(raw, zzp_host, get_extension) && raw->get_extension
                          ? raw->get_extension(raw, ZZP_HOST_EXT_FRAMES)
                          : nullptr;
    frames_ext_ = static_cast<const zzp_host_frames_ext*>(ext);
    if (!frames_ext_ || !ZZP_STRUCT_HAS(frames_ext_, zzp_host_frames_ext, publish_frames) ||
        !frames_ext_->publish_frames)
        throw zzp::Error(ZZP_E_UNSUPPORTED, "this host does not offer the \"" ZZP_HOST_EXT_FRAMES
                                            "\" extension the relay publishes frames through; upgrade zzprobe");
    const zzp::Host& h = host();
    relay_ = std::make_unique<FrameRelay>(
        [h](const std::string& name, const std::string& address) { return h.intern_target(name, address); },
        [this](const zzp_frame* frames, size_t count) { publish(frames, count); });
    ClientOptions o = options_;
    // Callbacks run on the client's thread, one at a time: the relay needs no lock.
    o.on_burst_end = [this] { relay_->flush(); };
    client_ = std::make_unique<StreamClient>(
        o, [this](const TargetRecord& t) { relay_->on_target(t); }, [this](const zzp_frame& f) { relay_->on_frame(f); });
    try {
        client_->start();
    } catch (const std::exception& e) {
        client_.reset();
        throw zzp::Error(ZZP_E_IO, "connect", e.what());
    }
    h.log(ZZP_LOG_INFO, "relaying the udp-stream at %s (%s)", connect_.c_str(),
          options_.key ? "authenticated" : "no secret");
}

void UdpStreamSource::publish(const zzp_frame* frames, size_t count) {
    while (count > 0) {
        uint32_t n = static_cast<uint32_t>(std::min<size_t>(count, UINT32_MAX));
        zzp_error err{};
        err.struct_size = sizeof err;
        // The host logs refusals itself (rate-limited); count them for the stop message.
        if (frames_ext_->publish_frames(host().raw(), frames, n, &err) != ZZP_OK) ++refused_;
        frames += n;
        count -= n;
    }
}

void UdpStreamSource::stop(int64_t) {
    if (!client_) return;
    client_->stop();  // unsubscribes; the thread is joined, so no callback runs after this
    ClientStats s = client_->stats();
    const RelayCounters& r = relay_->counters();
    host().log(ZZP_LOG_INFO,
               "relay stopped: %llu frames published, %llu repeats dropped, %llu dropped without a target record, "
               "%llu gaps repaired, %llu subscriptions",
               static_cast<unsigned long long>(r.frames_published), static_cast<unsigned long long>(r.duplicates_dropped),
               static_cast<unsigned long long>(r.frames_dropped_no_target + r.frames_held),
               static_cast<unsigned long long>(s.gaps), static_cast<unsigned long long>(s.subscriptions));
    if (refused_)
        host().log(ZZP_LOG_WARN, "the host refused %llu publish_frames calls", static_cast<unsigned long long>(refused_));
    client_.reset();
    relay_.reset();
}

static const zzp_config_key kSourceKeys[] = {
    zzp::key("connect", ZZP_CFG_STRING, "\"127.0.0.1:7879\"", "the udp-stream sink to relay, numeric address:port"),
    zzp::key("secret_file", ZZP_CFG_STRING, nullptr, "file with the sink's shared secret, if it has one"),
    zzp::key("history", ZZP_CFG_DURATION, "\"0s\"",
             "history to ask for on the first subscribe (\"1h\": back-fill what the sink retains)"),
};

static const char kSourceSample[] = R"(# udp-stream-source: relay another zzprobe's live stream into this host's sinks.
[[probe]]
id = "remote"
plugin = "udp-stream-source"
connect = "127.0.0.1:7879"
# secret_file = "/etc/zzprobe/stream.secret"
# history = "0s"
)";

const zzp_plugin_descriptor kUdpStreamSourceDescriptor = zzp::describe(
    ZZP_KIND_PROBE, "udp-stream-source", "Live UDP stream relay", "1.0.0",
    "Subscribes to another zzprobe's udp-stream sink (docs/STREAM.md) and republishes its frames into this host "
    "through the host extension zzp.frames/1, so local sinks can record or stream what the remote host measures.",
    kSourceKeys, kSourceSample);

}  // namespace zzp::stream
