#include "loaded_sink.hpp"

#include <dlfcn.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace zzp::stream::test {

LoadedSink::LoadedSink() {
    const std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-udp-stream.so";
    library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library_) throw std::runtime_error("dlopen " + path + ": " + dlerror());
    auto entry = reinterpret_cast<zzp_plugin_entry_fn>(dlsym(library_, ZZP_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no entry symbol in " + path);
    table_ = entry();
    zzp_host_info info{sizeof info, ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0, "test", "0"};
    zzp_error err{};
    err.struct_size = sizeof err;
    if (table_->init(&info, &err) != ZZP_OK) throw std::runtime_error(err.message);
    plugin_ = table_->create("udp-stream", host_.table(), &err);
    if (!plugin_) throw std::runtime_error(err.message);
    sink_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
    stats_ext_ = static_cast<const zzp_udp_stream_stats_ext*>(plugin_->get_extension(plugin_, ZZP_UDP_STREAM_STATS_EXT));
    if (!sink_ || !stats_ext_) throw std::runtime_error("udp-stream lacks its extensions");
}

LoadedSink::~LoadedSink() {
    stop();
    if (plugin_) plugin_->destroy(plugin_);
    if (table_) table_->deinit();
    if (library_) dlclose(library_);
}

zzp_status LoadedSink::configure(const std::string& toml) {
    config_ = std::make_unique<zzp::test::FakeConfig>(toml);
    zzp_error err{};
    err.struct_size = sizeof err;
    zzp_status s = plugin_->configure(plugin_, config_->table(), &err);
    last_error_ = err.message;
    last_key_ = err.key;
    return s;
}

zzp_status LoadedSink::start() {
    zzp_error err{};
    err.struct_size = sizeof err;
    zzp_status s = plugin_->start(plugin_, &err);
    last_error_ = err.message;
    started_ = s == ZZP_OK;
    return s;
}

void LoadedSink::stop() {
    if (!started_) return;
    zzp_error err{};
    err.struct_size = sizeof err;
    plugin_->stop(plugin_, 0, &err);
    started_ = false;
}

void LoadedSink::target(uint32_t id, const std::string& name, const std::string& address, int64_t interval_ns) {
    zzp_target_info t{sizeof t, id, name.c_str(), address.c_str(), "icmp", "probe-1", interval_ns};
    zzp_error err{};
    err.struct_size = sizeof err;
    if (sink_->on_target(plugin_, &t, &err) != ZZP_OK) throw std::runtime_error(err.message);
}

void LoadedSink::write(const std::vector<zzp_frame>& frames) {
    zzp_batch b{++batch_seq_, ZZP_BATCH_FRAMES, static_cast<uint32_t>(frames.size()), nullptr, frames.data()};
    zzp_error err{};
    err.struct_size = sizeof err;
    if (sink_->write(plugin_, &b, &err) != ZZP_OK) throw std::runtime_error(err.message);
}

zzp_udp_stream_stats LoadedSink::stats() const {
    zzp_udp_stream_stats s{};
    s.struct_size = sizeof s;
    stats_ext_->get(plugin_, &s);
    return s;
}

zzp_frame make_frame(uint32_t target_id, int64_t start_wall_ns, uint32_t revision, bool final) {
    uint64_t h = (static_cast<uint64_t>(start_wall_ns) * 0x9E3779B97F4A7C15ull) ^ (target_id * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 29;
    zzp_frame f{};
    f.start_wall_ns = start_wall_ns;
    f.interval_ns = kInterval;
    f.target_id = target_id;
    f.revision = revision;
    f.flags = final ? ZZP_FRAME_F_FINAL : 0;
    f.sent = 10 + static_cast<uint32_t>(h % 90);
    f.received = static_cast<uint32_t>((h >> 8) % (f.sent + 1));
    f.pending = final ? 0 : (f.sent - f.received) / (revision + 1);
    f.lost = f.sent - f.received - f.pending;
    f.errors = static_cast<uint32_t>((h >> 16) % 3);
    f.late = static_cast<uint32_t>((h >> 20) % 2);
    f.duplicates = static_cast<uint32_t>((h >> 22) % 2);
    f.reordered = static_cast<uint32_t>((h >> 24) % 4);
    if (f.received == 0) {
        for (int64_t& q : f.rtt_ns) q = -1;
        f.rtt_mean_ns = -1;
        f.rtt_jitter_ns = -1;
    } else {
        int64_t v = 50'000 + static_cast<int64_t>((h >> 32) % 3'000'000);
        for (int64_t& q : f.rtt_ns) q = (v += static_cast<int64_t>((h >> 40) % 500'000));
        f.rtt_ns[ZZP_Q_MAX] += 4'000'000'000;  // a 4 s spike: needs more than 32 bits
        f.rtt_mean_ns = f.rtt_ns[ZZP_Q_P50];
        f.rtt_jitter_ns = f.received < 2 ? -1 : static_cast<int64_t>((h >> 48) % 100'000);
    }
    return f;
}

bool same_frame(const zzp_frame& a, const zzp_frame& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

int64_t aligned_now_ns() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    return now - now % kInterval;
}

}  // namespace zzp::stream::test
