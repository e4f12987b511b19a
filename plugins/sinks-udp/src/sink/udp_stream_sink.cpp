#include "udp_stream_sink.hpp"

#include <cstring>
#include <stdexcept>

#include "protocol/secret_config.hpp"

namespace zzp::stream {
namespace {

constexpr const char* kDefaultListen = "127.0.0.1:7879";
constexpr int64_t kSecond = 1'000'000'000;

// Reads an optional key, falling back to the schema default when the host did not fill it
// in (the real host always does; test doubles may not).
template <class T, class Get>
T optional(const zzp::Config& c, const char* key, T fallback, Get get) {
    return c.has(key) ? get(key) : fallback;
}

const zzp_udp_stream_stats_ext kStatsExt = {
    sizeof(zzp_udp_stream_stats_ext), 0, [](const zzp_plugin* plugin, zzp_udp_stream_stats* out) {
        auto* instance = static_cast<zzp::detail::Instance*>(plugin->plugin_data);
        if (auto* sink = dynamic_cast<UdpStreamSink*>(instance->impl)) sink->stats(out);
    }};

}  // namespace

void UdpStreamSink::configure(const zzp::Config& c) {
    std::string listen = optional<std::string>(c, "listen", kDefaultListen, [&](auto k) { return c.string(k); });
    std::string why;
    auto address = parse_udp_address(listen, &why);
    if (!address) throw zzp::config_error("listen", why);
    options_.listen = *address;

    options_.history_window_ns =
        optional<int64_t>(c, "history", 3600 * kSecond, [&](auto k) { return c.duration(k).count(); });
    if (options_.history_window_ns < 0 || options_.history_window_ns > 7 * 24 * 3600 * kSecond)
        throw zzp::config_error("history", "history must be between \"0s\" and \"7d\" (it is kept in memory)");

    int64_t max_subscribers = optional<int64_t>(c, "max_subscribers", 16, [&](auto k) { return c.integer(k); });
    if (max_subscribers < 1 || max_subscribers > 1024)
        throw zzp::config_error("max_subscribers", "max_subscribers must be between 1 and 1024");
    options_.max_subscribers = static_cast<uint32_t>(max_subscribers);

    options_.subscriber_timeout_ns =
        optional<int64_t>(c, "subscriber_timeout", 10 * kSecond, [&](auto k) { return c.duration(k).count(); });
    if (options_.subscriber_timeout_ns < 50'000'000 || options_.subscriber_timeout_ns > 3600 * kSecond)
        throw zzp::config_error("subscriber_timeout", "subscriber_timeout must be between \"50ms\" and \"1h\"");

    options_.replay_rate_bytes_per_s =
        optional<uint64_t>(c, "replay_rate", 128ull << 20, [&](auto k) { return c.size(k); });
    if (options_.replay_rate_bytes_per_s < 64 * 1024)
        throw zzp::config_error("replay_rate", "replay_rate must be at least \"64KiB\" (bytes per second)");

    options_.replay_window_ns =
        optional<int64_t>(c, "replay_window", 60 * kSecond, [&](auto k) { return c.duration(k).count(); });
    if (options_.replay_window_ns < kSecond)
        throw zzp::config_error("replay_window", "replay_window must be at least \"1s\"");

    options_.key = secret_from_config(c);
    bool allow_remote =
        optional<bool>(c, "allow_unauthenticated_remote", false, [&](auto k) { return c.boolean(k); });
    if (!options_.key && !allow_remote && !is_loopback(options_.listen.get()))
        throw zzp::config_error(
            "listen", "refusing to serve an unauthenticated stream on " + listen +
                          ": anyone who can reach it could read it. Set secret_file (a file holding a shared "
                          "secret, also given to viewers), listen on loopback (\"127.0.0.1:7879\"), or, on a "
                          "trusted network only, allow_unauthenticated_remote = true");

    const zzp::Host& h = host();
    options_.log = [h](int level, const std::string& message) { h.log(static_cast<zzp_log_level>(level), "%s", message.c_str()); };
    options_.wall_now_ns = [h] { return h.wall_now_ns(); };
}

void UdpStreamSink::start() {
    server_ = std::make_unique<StreamServer>(options_);
    try {
        server_->start();
    } catch (const std::exception& e) {
        server_.reset();
        throw zzp::Error(ZZP_E_IO, "listen", e.what());
    }
}

void UdpStreamSink::stop(int64_t) {
    if (server_) server_->stop();
    server_.reset();
}

void UdpStreamSink::on_target(const zzp_target_info& t) {
    if (!server_) return;
    TargetRecord r;
    r.id = t.id;
    r.name = t.name ? t.name : "";
    r.address = t.address ? t.address : "";
    r.method = t.method ? t.method : "";
    r.probe = t.probe ? t.probe : "";
    r.interval_ns = t.interval_ns;
    server_->publish_target(r);
}

zzp_status UdpStreamSink::write(const zzp_batch& batch) {
    // Nothing is kept for durability: a live stream's job ends when the datagrams leave.
    if (server_ && batch.kind == ZZP_BATCH_FRAMES && batch.frames) server_->publish_frames(batch.frames, batch.count);
    return ZZP_OK;
}

const void* UdpStreamSink::extension(const char* id) {
    return std::strcmp(id, ZZP_UDP_STREAM_STATS_EXT) == 0 ? &kStatsExt : nullptr;
}

void UdpStreamSink::stats(zzp_udp_stream_stats* out) const {
    if (!out) return;
    if (server_) return server_->stats(out);
    uint32_t size = out->struct_size;
    std::memset(out, 0, std::min<size_t>(size, sizeof *out));
    out->struct_size = size;
}

}  // namespace zzp::stream
