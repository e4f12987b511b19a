// udp-stream benchmarks (prints figures with their targets; not a pass/fail test):
//   1. latency: sink write() call -> client frame callback, loopback, p50/p99/max; and end to end
//      through `zzprobe run` (interval end -> callback), split into the host's publish lag and
//      the rest;
//   2. CPU: 10 subscribers (in a child process) x 20 targets x 10 frames/s, sink process CPU;
//   3. history: 1 h of 100 ms frames for 20 targets delivered to a new subscriber.
// Usage: sinks_udp_bench [--quick] [latency] [e2e] [cpu] [history]   (--quick shortens each run for a
// smoke test; naming sections runs only those)
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zzp_stream/udp_stream_stats.h>
#include <zzprobe/zzprobe.h>

#include "loopback_port.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "stream_client.hpp"

using namespace zzp::stream;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kInterval = 100'000'000;
uint64_t g_replay_rate = 0;  // 0: the sink's default

int64_t clock_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t mono() { return clock_ns(CLOCK_MONOTONIC); }

void sleep_until(int64_t mono_ns) {
    timespec ts{static_cast<time_t>(mono_ns / 1'000'000'000), static_cast<long>(mono_ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

double process_cpu_s() {
    rusage u;
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The machine may be shared: print its load next to wall-clock figures.
std::string load_average() {
    double l[3] = {0, 0, 0};
    if (getloadavg(l, 3) < 1) return "?";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f on %ld cores", l[0], sysconf(_SC_NPROCESSORS_ONLN));
    return buf;
}

// Minimal host for one sink instance (the benchmark measures the sink, not a host).
zzp_host make_host() {
    zzp_host h{};
    h.struct_size = sizeof h;
    h.instance_id = "bench";
    h.log = [](const zzp_host*, int level, const char* m) {
        if (level >= ZZP_LOG_WARN) std::fprintf(stderr, "sink: %s\n", m);
    };
    h.wall_now_ns = [](const zzp_host*) { return clock_ns(CLOCK_REALTIME); };
    h.mono_now_ns = [](const zzp_host*) { return mono(); };
    return h;
}

// Config for the bench: only listen/history are set; getters report others absent.
struct BenchConfig {
    std::string history;
    zzp_config table{};
    BenchConfig(std::string h) : history(std::move(h)) {
        table.struct_size = sizeof table;
        table.host_data = this;
        table.get_string = [](const zzp_config* c, const char* p, const char** out) {
            auto* self = static_cast<BenchConfig*>(c->host_data);
            if (std::strcmp(p, "listen") == 0) return *out = "127.0.0.1:0", ZZP_OK;
            (void)self;
            return ZZP_E_NOT_FOUND;
        };
        table.get_int = [](const zzp_config*, const char* p, int64_t* out) {
            if (std::strcmp(p, "max_subscribers") == 0) return *out = 32, ZZP_OK;
            return ZZP_E_NOT_FOUND;
        };
        table.get_float = [](const zzp_config*, const char*, double*) { return ZZP_E_NOT_FOUND; };
        table.get_bool = [](const zzp_config*, const char*, int*) { return ZZP_E_NOT_FOUND; };
        table.get_duration = [](const zzp_config* c, const char* p, int64_t* out) {
            auto* self = static_cast<BenchConfig*>(c->host_data);
            if (std::strcmp(p, "history") == 0) return *out = self->history == "1h" ? 3600'000'000'000 : 60'000'000'000, ZZP_OK;
            return ZZP_E_NOT_FOUND;
        };
        table.get_size = [](const zzp_config*, const char* p, uint64_t* out) {
            // --replay-rate=BYTES overrides the sink's default (for experiments).
            if (std::strcmp(p, "replay_rate") == 0 && g_replay_rate) return *out = g_replay_rate, ZZP_OK;
            return ZZP_E_NOT_FOUND;
        };
        table.get_length = [](const zzp_config*, const char*, uint64_t*) { return ZZP_E_NOT_FOUND; };
    }
};

class Sink {
public:
    explicit Sink(const std::string& history) : host_(make_host()), config_(history) {
        std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-udp-stream.so";
        lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib_) throw std::runtime_error(dlerror());
        table_ = reinterpret_cast<zzp_plugin_entry_fn>(dlsym(lib_, ZZP_ENTRY_SYMBOL))();
        zzp_host_info info{sizeof info, 1, 0, 0, "bench", "0"};
        zzp_error err{};
        err.struct_size = sizeof err;
        if (table_->init(&info, &err) != ZZP_OK) throw std::runtime_error(err.message);
        plugin_ = table_->create("udp-stream", &host_, &err);
        if (!plugin_ || plugin_->configure(plugin_, &config_.table, &err) != ZZP_OK ||
            plugin_->start(plugin_, &err) != ZZP_OK)
            throw std::runtime_error(err.message);
        sink_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
        stats_ = static_cast<const zzp_udp_stream_stats_ext*>(plugin_->get_extension(plugin_, ZZP_UDP_STREAM_STATS_EXT));
        for (uint32_t t = 1; t <= 20; ++t) {
            std::string name = "target-" + std::to_string(t);
            zzp_target_info info_t{sizeof info_t, t, name.c_str(), "192.0.2.1", "icmp", "p", kInterval};
            sink_->on_target(plugin_, &info_t, &err);
        }
    }
    ~Sink() {
        zzp_error err{};
        err.struct_size = sizeof err;
        plugin_->stop(plugin_, 0, &err);
        plugin_->destroy(plugin_);
        table_->deinit();
        dlclose(lib_);
    }
    void write(const std::vector<zzp_frame>& frames) {
        zzp_batch b{++seq_, ZZP_BATCH_FRAMES, static_cast<uint32_t>(frames.size()), nullptr, frames.data()};
        zzp_error err{};
        err.struct_size = sizeof err;
        sink_->write(plugin_, &b, &err);
    }
    zzp_udp_stream_stats stats() const {
        zzp_udp_stream_stats s{};
        s.struct_size = sizeof s;
        stats_->get(plugin_, &s);
        return s;
    }

private:
    zzp_host host_;
    BenchConfig config_;
    void* lib_ = nullptr;
    const zzp_plugin_library* table_ = nullptr;
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* sink_ = nullptr;
    const zzp_udp_stream_stats_ext* stats_ = nullptr;
    uint64_t seq_ = 0;
};

zzp_frame frame(uint32_t target, int64_t start, bool final) {
    zzp_frame f{};
    f.start_wall_ns = start;
    f.interval_ns = kInterval;
    f.target_id = target;
    f.revision = final ? 1 : 0;
    f.flags = final ? ZZP_FRAME_F_FINAL : 0;
    f.sent = 10;
    f.received = final ? 9 : 8;
    f.lost = final ? 1 : 0;
    f.pending = final ? 0 : 2;
    for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = 800'000 + q * 150'000 + (start / kInterval % 97) * 1000;
    f.rtt_mean_ns = f.rtt_ns[3];
    f.rtt_jitter_ns = 40'000;
    return f;
}

std::vector<zzp_frame> batch(int64_t start, bool final) {
    std::vector<zzp_frame> b;
    for (uint32_t t = 1; t <= 20; ++t) b.push_back(frame(t, start, final));
    return b;
}

StreamClient* new_client(uint16_t port, StreamClient::FrameCallback on_frame, std::unique_ptr<StreamClient>& holder,
                         int64_t history_ns) {
    ClientOptions o;
    o.server = *parse_udp_address("127.0.0.1:" + std::to_string(port), nullptr);
    o.history_ns = history_ns;
    holder = std::make_unique<StreamClient>(o, nullptr, std::move(on_frame));
    holder->start();
    return holder.get();
}

void bench_latency(bool quick) {
    Sink sink("60s");
    std::mutex m;
    std::vector<int64_t> write_mono;  // by batch index (start / interval)
    std::vector<int64_t> latencies;
    const int64_t base = clock_ns(CLOCK_REALTIME) / kInterval * kInterval;
    std::unique_ptr<StreamClient> holder;
    StreamClient* client = new_client(
        sink.stats().bound_port,
        [&](const zzp_frame& f) {
            int64_t now = mono();
            std::lock_guard lock(m);
            size_t i = static_cast<size_t>((f.start_wall_ns - base) / kInterval);
            if (i < write_mono.size()) latencies.push_back(now - write_mono[i]);
        },
        holder, 0);
    client->wait_for([](const ClientStats& s) { return s.subscribed; }, 5s);
    const int batches = quick ? 200 : 2000;
    // One live batch of 20 frames every 5 ms (20x the real rate, for more samples in less time).
    int64_t next = mono();
    for (int i = 0; i < batches; ++i) {
        sleep_until(next += 5'000'000);
        auto b = batch(base + i * kInterval, false);
        {
            std::lock_guard lock(m);
            write_mono.push_back(mono());
        }
        sink.write(b);
    }
    client->wait_for([&](const ClientStats& s) { return s.frames >= static_cast<uint64_t>(batches) * 20; }, 5s);
    holder->stop();
    std::lock_guard lock(m);
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) { return latencies[static_cast<size_t>(p * static_cast<double>(latencies.size() - 1))] / 1e3; };
    std::printf("(load average at start: %s)\n", load_average().c_str());
    std::printf("latency write()->callback, loopback, %zu frames: p50 %.0f us, p99 %.0f us, max %.0f us"
                "   [target p99 < 2000 us]\n",
                latencies.size(), pct(0.5), pct(0.99), pct(1.0));
}

// End to end through a real host: `zzprobe run` with the synthetic probe and the udp-stream
// sink, a subscriber here. Measures, for each frame's first publication (revision 0), the time
// from the end of its interval (host wall clock = ours) to the client callback, and splits it:
// the host publishes a frame min(interval/4, 250 us) after its interval ends (host/pipeline,
// frame_loop's publish_lag); the rest is the host's sink queue + dispatcher, the sink and the
// socket, i.e. what the latency figure above measures plus the dispatcher hand-off.
void bench_end_to_end(bool quick) {
#ifndef ZZP_HOST_EXE
    (void)quick;
    std::printf("end-to-end latency: skipped (no zzprobe host in this build)\n");
#else
    const std::string synthetic = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-synthetic.so";
    if (access(synthetic.c_str(), R_OK) != 0) {
        std::printf("end-to-end latency: skipped (plugins/synthetic not built)\n");
        return;
    }
    char dir[] = "/tmp/zzp-stream-bench-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    const uint16_t port = zzp::test::free_loopback_port();  // the host binds it a moment later
    const int seconds = quick ? 3 : 15;
    const std::string config = std::string(dir) + "/e2e.toml";
    {
        FILE* f = std::fopen(config.c_str(), "w");
        std::fprintf(f,
                     "[[probe]]\nid = \"synth\"\nplugin = \"synthetic\"\n"
                     "targets = [\"t1\", \"t2\", \"t3\", \"t4\", \"t5\"]\nrate = 50.0\nseed = 3\n\n"
                     "[[sink]]\nid = \"live\"\nplugin = \"udp-stream\"\nlisten = \"127.0.0.1:%u\"\n",
                     port);
        std::fclose(f);
    }
    const std::string duration = std::to_string(seconds + 3) + "s";
    pid_t host = fork();
    if (host == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(ZZP_HOST_EXE, ZZP_HOST_EXE, "run", "-c", config.c_str(), "--no-watch", "--duration", duration.c_str(),
              "-P", ZZP_PLUGIN_OUTPUT_DIR, static_cast<char*>(nullptr));
        _exit(127);
    }
    std::mutex m;
    std::vector<int64_t> lat;
    int64_t interval_ns = 0;
    ClientOptions o;
    o.server = *parse_udp_address("127.0.0.1:" + std::to_string(port), nullptr);
    o.history_ns = 0;
    // Subscribe once the host is up (a subscribe before it binds only waits for a retry), and
    // count only intervals that end after that: the history snapshot is not live delivery.
    std::this_thread::sleep_for(1s);
    const int64_t from_wall = clock_ns(CLOCK_REALTIME) + 200'000'000;
    StreamClient client(o, nullptr, [&](const zzp_frame& f) {
        if (f.revision != 0 || f.start_wall_ns + f.interval_ns < from_wall) return;
        int64_t now = clock_ns(CLOCK_REALTIME);
        std::lock_guard lock(m);
        interval_ns = f.interval_ns;
        lat.push_back(now - (f.start_wall_ns + f.interval_ns));
    });
    client.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    client.stop();
    kill(host, SIGTERM);
    waitpid(host, nullptr, 0);
    (void)!std::system((std::string("rm -rf '") + dir + "'").c_str());
    std::lock_guard lock(m);
    if (lat.size() < 10) {
        std::printf("end-to-end latency: only %zu frames arrived (host did not start?)\n", lat.size());
        return;
    }
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return static_cast<double>(lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]) / 1e3; };
    // host/pipeline frame_loop: publish_lag = min(interval/4, 250 us) (10 ms before 395b465).
    const double lag_us = static_cast<double>(std::min<int64_t>(interval_ns / 4, 250'000)) / 1e3;
    std::printf("latency interval end->callback through zzprobe run (synthetic -> udp-stream), %zu frames: p50 %.0f us, "
                "p99 %.0f us, max %.0f us   [target p99 < 2000 us]\n",
                lat.size(), pct(0.5), pct(0.99), pct(1.0));
    std::printf("    of which the host's publish lag (min(interval/4, 250 us), host/pipeline): %.0f us; the rest "
                "(sink queue + dispatcher + sink + socket): p50 %.0f us, p99 %.0f us\n",
                lag_us, pct(0.5) - lag_us, pct(0.99) - lag_us);
#endif
}

void bench_cpu(bool quick) {
    const int seconds = quick ? 3 : 20;
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    pid_t child = fork();
    if (child == 0) {
        // Child: 10 subscribers. Reads the port, runs until the parent closes the pipe.
        close(to_child[1]);
        close(from_child[0]);
        uint16_t port = 0;
        if (read(to_child[0], &port, sizeof port) != sizeof port) _exit(1);
        std::atomic<uint64_t> frames{0};
        std::vector<std::unique_ptr<StreamClient>> clients(10);
        for (auto& c : clients) new_client(port, [&](const zzp_frame&) { ++frames; }, c, 0);
        char x;
        (void)!read(to_child[0], &x, 1);  // EOF when the parent is done
        for (auto& c : clients) c->stop();
        uint64_t n = frames;
        (void)!write(from_child[1], &n, sizeof n);
        _exit(0);
    }
    close(to_child[0]);
    close(from_child[1]);
    Sink sink("1h");
    uint16_t port = sink.stats().bound_port;
    (void)!write(to_child[1], &port, sizeof port);
    while (sink.stats().subscribers < 10) std::this_thread::sleep_for(10ms);
    const int64_t base = clock_ns(CLOCK_REALTIME) / kInterval * kInterval;
    double cpu0 = process_cpu_s();
    int64_t t0 = mono(), next = t0;
    int intervals = seconds * 10;
    for (int i = 0; i < intervals; ++i) {
        sleep_until(next += kInterval);
        sink.write(batch(base + i * kInterval, false));  // live revision at the interval end
        if (i >= 2) sink.write(batch(base + (i - 2) * kInterval, true));  // final, two intervals later
    }
    double cpu = process_cpu_s() - cpu0;
    double wall = static_cast<double>(mono() - t0) / 1e9;
    auto s = sink.stats();
    std::this_thread::sleep_for(300ms);  // let the last datagrams land before the count
    close(to_child[1]);
    uint64_t received = 0;
    (void)!read(from_child[0], &received, sizeof received);
    waitpid(child, nullptr, 0);
    std::printf("sink CPU, 10 subscribers x 20 targets x 10 frames/s (live + final), %.0f s: %.2f %% of a core"
                "   [target < 1 %%]\n",
                wall, 100.0 * cpu / wall);
    std::printf("    sent %llu datagrams, received %llu acks/keepalives; subscribers got %llu frames (%d expected)\n",
                static_cast<unsigned long long>(s.datagrams_sent),
                static_cast<unsigned long long>(s.datagrams_received), static_cast<unsigned long long>(received),
                10 * 20 * (2 * intervals - 2));
}

// Reads /proc/sys/net/core/<name> (rmem_default, rmem_max); 0 when unreadable.
int sysctl_int(const char* name) {
    std::string path = std::string("/proc/sys/net/core/") + name;
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return 0;
    int v = 0;
    if (std::fscanf(f, "%d", &v) != 1) v = 0;
    std::fclose(f);
    return v;
}

void bench_history(bool quick) {
    Sink sink("1h");
    const int intervals = quick ? 3600 : 36000;  // 1 h of 100 ms frames (6 min with --quick)
    const int64_t base = clock_ns(CLOCK_REALTIME) / kInterval * kInterval - intervals * kInterval;
    int64_t fill0 = mono();
    for (int i = 0; i < intervals; ++i) sink.write(batch(base + i * kInterval, true));
    double fill_s = static_cast<double>(mono() - fill0) / 1e9;
    auto st = sink.stats();
    std::printf("history store: %d min x 20 targets, %.1f MB retained; filling it took %.2f s\n", intervals / 600,
                static_cast<double>(st.history_bytes) / 1e6, fill_s);
    // Two viewers: the client's default (asks for 4 MiB; root gets it, others get rmem_max), and
    // one with the kernel's default buffer (rmem_default, typically 208 KiB), which an
    // unprivileged viewer gets on a stock kernel where rmem_max is that small too.
    struct Case {
        const char* name;
        int rcvbuf;
    };
    const Case cases[] = {{"client default (4 MiB asked)", ClientOptions{}.receive_buffer_bytes},
                          {"rmem_default buffer", sysctl_int("rmem_default") > 0 ? sysctl_int("rmem_default") : 212992}};
    for (const Case& c : cases) {
        std::atomic<uint64_t> frames{0};
        ClientOptions o;
        o.server = *parse_udp_address("127.0.0.1:" + std::to_string(st.bound_port), nullptr);
        o.history_ns = 3600'000'000'000;
        o.receive_buffer_bytes = c.rcvbuf;
        auto before = sink.stats();
        double cpu0 = process_cpu_s();
        int64_t t0 = mono();
        StreamClient client(o, nullptr, [&](const zzp_frame&) { frames.fetch_add(1, std::memory_order_relaxed); });
        client.start();
        bool done = client.wait_for([](const ClientStats& s) { return s.history_complete; }, 60s);
        double took = static_cast<double>(mono() - t0) / 1e9;
        double cpu = process_cpu_s() - cpu0;
        ClientStats cs = client.stats();
        client.stop();
        auto after = sink.stats();
        std::printf("history replay, %s (window %u datagrams): %llu frames %s in %.3f s   [target < 1 s for 1 h]\n",
                    c.name, cs.window, static_cast<unsigned long long>(frames.load()),
                    done ? "complete" : "INCOMPLETE", took);
        std::printf("    CPU meanwhile (sink + client threads): %.3f s; %llu datagrams, %llu gaps, %llu duplicates, "
                    "%llu retransmits, %llu send errors (EAGAIN); load average now %s\n",
                    cpu, static_cast<unsigned long long>(cs.datagrams), static_cast<unsigned long long>(cs.gaps),
                    static_cast<unsigned long long>(cs.duplicates),
                    static_cast<unsigned long long>(after.retransmits - before.retransmits),
                    static_cast<unsigned long long>(after.send_errors - before.send_errors), load_average().c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    bool quick = false;
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strncmp(argv[i], "--replay-rate=", 14) == 0)
            g_replay_rate = std::strtoull(argv[i] + 14, nullptr, 10);
        else
            only.emplace_back(argv[i]);
    }
    auto selected = [&](const char* name) { return only.empty() || std::find(only.begin(), only.end(), name) != only.end(); };
    try {
        if (selected("latency")) bench_latency(quick);
        if (selected("e2e")) bench_end_to_end(quick);
        if (selected("cpu")) bench_cpu(quick);
        if (selected("history")) bench_history(quick);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sinks_udp_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
