// prometheus sink benchmarks, on the real plugin library (dlopen, C ABI), loopback only. Prints
// figures next to their targets; not a pass/fail test.
//   1. scrape: 1 000 targets with a full 1 min summary window (10 replies/s each); a scrape over
//      HTTP (request sent -> whole body read), text and OpenMetrics, the data changing between
//      scrapes (so every scrape renders afresh). Target: under 50 ms.
//   2. CPU: 10 targets x 100 echo/s fed in batches every 10 ms, scraped every second (15x more
//      often than Prometheus's default): CPU of the sink (write() calls + its HTTP thread) per
//      core. Target: under 1 %.
// Usage: prometheus_bench [--quick] [--cpu-seconds N]
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zzprobe/zzprobe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "loopback_port.hpp"

namespace {

constexpr int64_t kMs = 1'000'000;

int64_t clock_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t mono() { return clock_ns(CLOCK_MONOTONIC); }
int64_t wall() { return clock_ns(CLOCK_REALTIME); }
int64_t thread_cpu() { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
int64_t process_cpu() { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

void sleep_until(int64_t mono_ns) {
    timespec ts{static_cast<time_t>(mono_ns / 1'000'000'000), static_cast<long>(mono_ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

std::string load_average() {
    double l[3] = {0, 0, 0};
    if (getloadavg(l, 3) < 1) return "?";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
    return buf;
}

// ---- a minimal host table and config for one instance -------------------------------------

void host_log(const zzp_host*, int level, const char* m) {
    if (level >= ZZP_LOG_WARN) std::fprintf(stderr, "sink: %s\n", m);
}
uint32_t host_intern(const zzp_host*, const zzp_target_desc*) { return 0; }
void host_emit(const zzp_host*, const zzp_sample*, uint32_t) {}
int64_t host_wall(const zzp_host*) { return wall(); }
int64_t host_mono(const zzp_host*) { return mono(); }
void host_stop(const zzp_host*, const char*) {}
const void* host_ext(const zzp_host*, const char*) { return nullptr; }

// Only the keys in `strings`; everything else absent (the sink applies its defaults).
struct MiniConfig {
    zzp_config table{};
    std::map<std::string, std::string> strings;
    MiniConfig() {
        table.struct_size = sizeof table;
        table.host_data = this;
        table.source_path = "bench";
        table.get_string = [](const zzp_config* c, const char* path, const char** out) {
            auto* self = static_cast<MiniConfig*>(c->host_data);
            auto it = self->strings.find(path);
            if (it == self->strings.end()) return ZZP_E_NOT_FOUND;
            *out = it->second.c_str();
            return ZZP_OK;
        };
        table.get_int = [](const zzp_config*, const char*, int64_t*) { return ZZP_E_NOT_FOUND; };
        table.get_float = [](const zzp_config*, const char*, double*) { return ZZP_E_NOT_FOUND; };
        table.get_bool = [](const zzp_config*, const char*, int*) { return ZZP_E_NOT_FOUND; };
        table.get_duration = [](const zzp_config*, const char*, int64_t*) { return ZZP_E_NOT_FOUND; };
        table.get_size = [](const zzp_config*, const char*, uint64_t*) { return ZZP_E_NOT_FOUND; };
        table.get_length = [](const zzp_config*, const char*, uint64_t*) { return ZZP_E_NOT_FOUND; };
    }
};

class Sink {
public:
    explicit Sink(uint16_t port) {
        std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-prometheus.so";
        lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib_) {
            std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), dlerror());
            std::exit(1);
        }
        auto entry = reinterpret_cast<const zzp_plugin_library* (*)()>(dlsym(lib_, ZZP_ENTRY_SYMBOL));
        library_ = entry();
        zzp_host_info info{};
        info.struct_size = sizeof info;
        info.abi_major = ZZP_ABI_MAJOR;
        info.abi_minor = ZZP_ABI_MINOR;
        check(library_->init(&info, &err_), "init");
        host_.struct_size = sizeof host_;
        host_.instance_id = "bench";
        host_.log = host_log;
        host_.intern_target = host_intern;
        host_.emit = host_emit;
        host_.wall_now_ns = host_wall;
        host_.mono_now_ns = host_mono;
        host_.request_stop = host_stop;
        host_.get_extension = host_ext;
        plugin_ = library_->create("prometheus", &host_, &err_);
        if (!plugin_) check(ZZP_E_INTERNAL, "create");
        MiniConfig config;
        config.strings["listen"] = "127.0.0.1:" + std::to_string(port);
        check(plugin_->configure(plugin_, &config.table, &err_), "configure");
        sink_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
        check(plugin_->start(plugin_, &err_), "start");
    }
    ~Sink() {
        plugin_->stop(plugin_, mono() + 2'000 * kMs, &err_);
        plugin_->destroy(plugin_);
        library_->deinit();
        dlclose(lib_);
    }
    void target(uint32_t id, const std::string& name, const std::string& address) {
        zzp_target_info t{sizeof t, id, name.c_str(), address.c_str(), "udp-echo", "echo", 100 * kMs};
        check(sink_->on_target(plugin_, &t, &err_), "on_target");
    }
    void write(const std::vector<zzp_sample>& samples) {
        zzp_batch b{++seq_, ZZP_BATCH_SAMPLES, static_cast<uint32_t>(samples.size()), samples.data(), nullptr};
        check(sink_->write(plugin_, &b, &err_), "write");
    }

private:
    void check(zzp_status s, const char* what) {
        if (s == ZZP_OK) return;
        std::fprintf(stderr, "%s failed: %s\n", what, err_.message);
        std::exit(1);
    }
    void* lib_ = nullptr;
    const zzp_plugin_library* library_ = nullptr;
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* sink_ = nullptr;
    zzp_host host_{};
    zzp_error err_{sizeof(zzp_error), 0, {}, {}};
    uint64_t seq_ = 0;
};

// A keep-alive HTTP client, as Prometheus is.
class Scraper {
public:
    explicit Scraper(uint16_t port) : port_(port) {}
    ~Scraper() {
        if (fd_ >= 0) ::close(fd_);
    }
    // Returns the body size, 0 on failure.
    size_t scrape(bool openmetrics) {
        if (fd_ < 0) connect();
        std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        if (openmetrics)
            req += "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n";
        req += "\r\n";
        if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return 0;
        buf_.clear();
        size_t header_end = std::string::npos, want = 0;
        char chunk[1 << 16];
        for (;;) {
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return 0;
            buf_.append(chunk, static_cast<size_t>(n));
            if (header_end == std::string::npos) {
                size_t e = buf_.find("\r\n\r\n");
                if (e == std::string::npos) continue;
                header_end = e + 4;
                size_t cl = buf_.find("Content-Length: ");
                if (cl == std::string::npos || cl > e) return 0;
                want = std::strtoul(buf_.c_str() + cl + 16, nullptr, 10);
            }
            if (buf_.size() >= header_end + want) return want;
        }
    }

private:
    void connect() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port_);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            std::perror("connect");
            std::exit(1);
        }
    }
    uint16_t port_;
    int fd_ = -1;
    std::string buf_;
};

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

void scrape_bench(bool quick) {
    const uint32_t targets = 1000;
    const int window_replies = quick ? 60 : 600;  // 1 min at 10/s
    uint16_t port = zzp::test::free_loopback_port(SOCK_STREAM);
    Sink sink(port);
    for (uint32_t t = 1; t <= targets; ++t)
        sink.target(t, "target-" + std::to_string(t), "192.0.2." + std::to_string(t % 250 + 1) + ":7790");
    const int64_t now = wall();
    std::vector<zzp_sample> batch;
    uint64_t seq = 0;
    for (int i = 0; i < window_replies; ++i) {
        batch.clear();
        for (uint32_t t = 1; t <= targets; ++t) {
            zzp_sample s{};
            s.seq = ++seq;
            s.target_id = t;
            s.status = i % 50 == 49 ? ZZP_SAMPLE_LOST : ZZP_SAMPLE_REPLY;
            s.rtt_ns = s.status == ZZP_SAMPLE_REPLY ? (500 + (i * 37 + t * 11) % 20000) * 1000 : -1;
            s.sent_wall_ns = now - (window_replies - i) * 100 * kMs;
            batch.push_back(s);
        }
        sink.write(batch);
    }
    std::printf("1. scrape of %u targets (%d RTTs each in the summary window), HTTP keep-alive on loopback\n", targets,
                window_replies);
    for (bool om : {false, true}) {
        Scraper scraper(port);
        std::vector<double> ms, cpu_ms;
        size_t bytes = 0;
        const int runs = quick ? 10 : 40;
        for (int r = 0; r < runs + 2; ++r) {
            // New data between scrapes, as in real life: no cached rendering is reused.
            for (auto& s : batch) s.sent_wall_ns = wall() - 2 * kMs;
            sink.write(batch);
            int64_t t0 = mono(), c0 = process_cpu();
            bytes = scraper.scrape(om);
            double took = static_cast<double>(mono() - t0) / 1e6;
            double cpu = static_cast<double>(process_cpu() - c0) / 1e6;  // server + client, all else idle
            if (bytes == 0) {
                std::printf("   scrape failed\n");
                return;
            }
            if (r >= 2) {  // the first two warm the allocator and caches
                ms.push_back(took);
                cpu_ms.push_back(cpu);
            }
        }
        std::printf("   %-12s %5.2f MB: wall p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms   target < 50 ms: %s\n",
                    om ? "OpenMetrics" : "text 0.0.4", static_cast<double>(bytes) / 1e6, percentile(ms, 0.5),
                    percentile(ms, 0.95), *std::max_element(ms.begin(), ms.end()),
                    percentile(ms, 0.95) < 50 ? "PASS" : "FAIL");
        std::printf("   %-12s          CPU  p50 %6.2f ms  p95 %6.2f ms (sink + client; wall minus CPU = waiting for a core)\n",
                    "", percentile(cpu_ms, 0.5), percentile(cpu_ms, 0.95));
    }
}

void cpu_bench(double seconds) {
    const uint32_t targets = 10;
    const double rate = 100;  // per target
    uint16_t port = zzp::test::free_loopback_port(SOCK_STREAM);
    Sink sink(port);
    for (uint32_t t = 1; t <= targets; ++t) sink.target(t, "target-" + std::to_string(t), "127.0.0.1:" + std::to_string(7790 + t));
    std::atomic<bool> done{false};
    std::atomic<int64_t> scraper_cpu{0};
    std::atomic<int> scrapes{0};
    std::thread scraper([&] {
        int64_t c0 = thread_cpu();
        Scraper s(port);
        int64_t next = mono();
        while (!done) {
            next += 1000 * kMs;
            sleep_until(next);
            if (s.scrape(true) > 0) ++scrapes;
        }
        scraper_cpu = thread_cpu() - c0;
    });
    // The feeder plays the host's dispatcher: a batch every 10 ms with what settled meanwhile.
    const int64_t period = 10 * kMs;
    const int per_batch = static_cast<int>(rate * targets * 0.010);
    std::vector<zzp_sample> batch(static_cast<size_t>(per_batch));
    uint64_t seq = 0;
    int64_t write_cpu = 0;
    const int64_t feeder_cpu0 = thread_cpu();
    const int64_t cpu0 = process_cpu();
    const int64_t start = mono();
    int64_t next = start;
    uint64_t samples = 0;
    while (mono() - start < static_cast<int64_t>(seconds * 1e9)) {
        next += period;
        sleep_until(next);
        const int64_t w = wall();
        for (int i = 0; i < per_batch; ++i) {
            zzp_sample& s = batch[static_cast<size_t>(i)];
            s = zzp_sample{};
            s.seq = ++seq;
            s.target_id = static_cast<uint32_t>(i % targets) + 1;
            s.status = seq % 200 == 0 ? ZZP_SAMPLE_LOST : ZZP_SAMPLE_REPLY;
            s.rtt_ns = s.status == ZZP_SAMPLE_REPLY ? static_cast<int64_t>(200 + seq % 900) * 1000 : -1;
            s.sent_wall_ns = w - 1 * kMs;
        }
        int64_t c = thread_cpu();
        sink.write(batch);
        write_cpu += thread_cpu() - c;
        samples += batch.size();
    }
    const double wall_s = static_cast<double>(mono() - start) / 1e9;
    const int64_t feeder_cpu = thread_cpu() - feeder_cpu0;
    done = true;
    scraper.join();
    const int64_t total_cpu = process_cpu() - cpu0;
    // The sink's share: everything in the process but the feeder's own loop and the scraper.
    const int64_t sink_cpu = total_cpu - (feeder_cpu - write_cpu) - scraper_cpu.load();
    std::printf("2. CPU: %u targets x %.0f echo/s (%.0f samples/s in 100 batches/s), %d scrapes (1/s, OpenMetrics) over %.1f s\n",
                targets, rate, static_cast<double>(samples) / wall_s, scrapes.load(), wall_s);
    std::printf("   write() calls       %6.3f %% of a core (%.2f us per batch of %d)\n",
                100.0 * static_cast<double>(write_cpu) / 1e9 / wall_s,
                static_cast<double>(write_cpu) / 1e3 / (wall_s * 100), per_batch);
    std::printf("   sink total          %6.3f %% of a core (write() + HTTP thread rendering and sending)   target < 1 %%: %s\n",
                100.0 * static_cast<double>(sink_cpu) / 1e9 / wall_s,
                100.0 * static_cast<double>(sink_cpu) / 1e9 / wall_s < 1 ? "PASS" : "FAIL");
    std::printf("   (whole bench process %.3f %%, of which feeder loop %.3f %% and scraper client %.3f %%)\n",
                100.0 * static_cast<double>(total_cpu) / 1e9 / wall_s,
                100.0 * static_cast<double>(feeder_cpu - write_cpu) / 1e9 / wall_s,
                100.0 * static_cast<double>(scraper_cpu.load()) / 1e9 / wall_s);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    double cpu_seconds = 30;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
            cpu_seconds = 5;
        } else if (std::strcmp(argv[i], "--cpu-seconds") == 0 && i + 1 < argc) {
            cpu_seconds = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--quick] [--cpu-seconds N]\n", argv[0]);
            return 2;
        }
    }
    std::printf("prometheus sink bench (load average %s, %ld cores)\n", load_average().c_str(), sysconf(_SC_NPROCESSORS_ONLN));
    scrape_bench(quick);
    cpu_bench(cpu_seconds);
    return 0;
}
