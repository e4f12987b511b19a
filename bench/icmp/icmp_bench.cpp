// icmp_bench: the icmp probe driven in-process (no host), measured, next to fping and oping
// run on the same targets in the same invocation.
//
// For each scenario "TARGETSxRATE" it reports, for zzprobe and each peer: CPU per echo (user +
// sys of that process, getrusage), echoes sent and the achieved rate per target; for zzprobe
// also the send-time error against the absolute schedule (p50/p99/max), the RTT median and the
// largest gap between two sends of one target (bursts show as tiny gaps, stalls as big ones).
//
// "floor" is a bare loop of this benchmark's own (floor_pinger.hpp): sleep until the slot, sendto,
// read replies; what any prober that wakes once per echo pays on this machine, at least.
//
//   icmp_bench [--mode dgram|raw] [--seconds S] [--base 127.0.0.] [--targets-from N]
//              [--peers floor,fping,oping|none] [--dump-rtt FILE] [--priority N] [--no-tx-stamps]
//              SCENARIO...
//   SCENARIO: 1x100, 1x1000, 100x10, 200x1000 (flat out), ...
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zzprobe/zzprobe.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_host.hpp"
#include "floor_pinger.hpp"

namespace {

double cpu_seconds(const rusage& r) {
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// A host that only tallies: what the probe costs is then the probe's own cost.
struct CountingHost {
    zzp_host table{};
    std::mutex mutex;
    std::map<uint32_t, std::vector<int64_t>> sends;  // target -> send wall times
    std::vector<std::pair<uint64_t, int64_t>> rtts;  // (seq, rtt) of replies
    size_t by_status[ZZP_SAMPLE_STATUS_COUNT] = {};
    uint32_t next_id = 1;
    std::map<std::string, uint32_t> ids;

    CountingHost() {
        table.struct_size = sizeof table;
        table.host_data = this;
        table.instance_id = "bench";
        table.log = [](const zzp_host*, int level, const char* m) {
            if (level >= ZZP_LOG_WARN) std::fprintf(stderr, "probe: %s\n", m);
        };
        table.intern_target = [](const zzp_host* h, const zzp_target_desc* d) {
            auto* self = static_cast<CountingHost*>(h->host_data);
            std::lock_guard lock(self->mutex);
            auto [it, fresh] = self->ids.emplace(std::string(d->name) + "|" + d->address, self->next_id);
            if (fresh) ++self->next_id;
            return it->second;
        };
        table.emit = [](const zzp_host* h, const zzp_sample* s, uint32_t n) {
            auto* self = static_cast<CountingHost*>(h->host_data);
            std::lock_guard lock(self->mutex);
            for (uint32_t i = 0; i < n; ++i) {
                if (s[i].status < ZZP_SAMPLE_STATUS_COUNT) ++self->by_status[s[i].status];
                if (s[i].status == ZZP_SAMPLE_SENT) self->sends[s[i].target_id].push_back(s[i].sent_wall_ns);
                if (s[i].status == ZZP_SAMPLE_REPLY) self->rtts.emplace_back(s[i].seq, s[i].rtt_ns);
            }
        };
        table.wall_now_ns = [](const zzp_host*) {
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        };
        table.mono_now_ns = [](const zzp_host*) {
            timespec ts{};
            clock_gettime(CLOCK_MONOTONIC, &ts);
            return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        };
        table.request_stop = [](const zzp_host*, const char*) {};
        table.get_extension = [](const zzp_host*, const char*) -> const void* { return nullptr; };
    }
};

const zzp_plugin_library* load_plugin() {
    std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-icmp.so";
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), dlerror());
        std::exit(2);
    }
    auto entry = reinterpret_cast<zzp_plugin_entry_fn>(dlsym(handle, ZZP_ENTRY_SYMBOL));
    const zzp_plugin_library* lib = entry();
    zzp_host_info info{sizeof info, ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0, "icmp_bench", "0"};
    zzp_error err{};
    lib->init(&info, &err);
    return lib;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return v[size_t(q * double(v.size() - 1))];
}

struct Result {
    double cpu_us_per_echo = NAN, rate_per_target = NAN;
    size_t echoes = 0;
};

Result run_ours(const std::vector<std::string>& targets, double rate, double seconds, const std::string& mode,
                const std::string& dump, const std::string& extra) {
    CountingHost host;
    zzp_error err{};
    const zzp_plugin* p = load_plugin()->create("icmp", &host.table, &err);
    std::string list;
    for (const auto& t : targets) list += (list.empty() ? "\"" : ", \"") + t + "\"";
    zzp::test::FakeConfig config("targets = [" + list + "]\nrate = " + std::to_string(rate) + "\nsocket_mode = \"" +
                                 mode + "\"\n" + extra);
    if (p->configure(p, config.table(), &err) != ZZP_OK) {
        std::fprintf(stderr, "configure: %s\n", err.message);
        std::exit(2);
    }
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    p->start(p, &err);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->stop(p, int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec + 5'000'000'000, &err);
    getrusage(RUSAGE_SELF, &after);
    p->destroy(p);

    Result r;
    r.echoes = host.by_status[ZZP_SAMPLE_SENT];
    r.cpu_us_per_echo = (cpu_seconds(after) - cpu_seconds(before)) * 1e6 / double(std::max<size_t>(1, r.echoes));
    const double period = 1e9 / rate;
    std::vector<double> errors_us, rates;
    double max_gap_ratio = 0, min_gap_ratio = 1e9;
    for (auto& [id, times] : host.sends) {
        if (times.size() < 3) continue;
        rates.push_back(double(times.size() - 1) * 1e9 / double(times.back() - times.front()));
        // Error against the schedule t0 + k*period, with t0 unknown and sends possibly skipped:
        // each send's offset from its nearest slot; the schedule's phase is estimated as the
        // median offset (most sends are on time), then |offset - phase| is the error.
        auto offsets_around = [&](double centre) {
            std::vector<double> o;
            for (int64_t t : times) {
                double d = double(t - times[0]);
                o.push_back(d - std::round((d - centre) / period) * period);
            }
            return o;
        };
        double phase = percentile(offsets_around(0), 0.5);
        phase = percentile(offsets_around(phase), 0.5);
        for (double o : offsets_around(phase)) errors_us.push_back(std::fabs(o - phase) / 1000);
        for (size_t k = 1; k < times.size(); ++k) {
            double ratio = double(times[k] - times[k - 1]) / period;
            max_gap_ratio = std::max(max_gap_ratio, ratio);
            min_gap_ratio = std::min(min_gap_ratio, ratio);
        }
    }
    double sum_rate = 0;
    for (double x : rates) sum_rate += x;
    r.rate_per_target = rates.empty() ? 0 : sum_rate / double(rates.size());
    std::vector<double> rtt_us;
    for (auto& [seq, rtt] : host.rtts) rtt_us.push_back(double(rtt) / 1000);
    std::printf(
        "  zzprobe(%s%s): %zu echoes, %zu replies, %zu lost; CPU %.2f us/echo; rate/target %.3f/s (%+.3f %%, "
        "min %.3f max %.3f); send error vs schedule p50 %.1f us p99 %.1f us max %.1f us; gaps %.2f..%.2f "
        "periods; RTT p50 %.1f us p99 %.1f us\n",
        mode.c_str(),
        extra.find("sender_priority") != std::string::npos       ? ", realtime sender"
        : extra.find("transmit_timestamps") != std::string::npos ? ", no transmit timestamps"
                                                                 : "",
        r.echoes, host.by_status[ZZP_SAMPLE_REPLY], host.by_status[ZZP_SAMPLE_LOST], r.cpu_us_per_echo,
        r.rate_per_target, (r.rate_per_target / rate - 1) * 100,
        rates.empty() ? 0 : *std::min_element(rates.begin(), rates.end()),
        rates.empty() ? 0 : *std::max_element(rates.begin(), rates.end()), percentile(errors_us, 0.5),
        percentile(errors_us, 0.99), percentile(errors_us, 1.0), min_gap_ratio, max_gap_ratio, percentile(rtt_us, 0.5),
        percentile(rtt_us, 0.99));
    if (!dump.empty()) {
        FILE* f = std::fopen(dump.c_str(), "w");
        for (auto& [seq, rtt] : host.rtts) std::fprintf(f, "%llu %lld\n", (unsigned long long)seq, (long long)rtt);
        std::fclose(f);
    }
    return r;
}

// Runs a peer tool and returns its CPU (it reports its own counts on stderr, kept quiet here).
Result run_peer(const std::string& tool, const std::vector<std::string>& targets, double rate, double seconds) {
    size_t count = size_t(std::llround(rate * seconds));
    std::vector<std::string> args;
    if (tool == "fping") {
        // -p: per-target period (ms); -i: gap between any two sends (ms); -q: quiet.
        args = {"fping", "-q",
                "-c",    std::to_string(count),
                "-p",    std::to_string(std::max(1.0, 1000.0 / rate)),
                "-i",    std::to_string(std::max(1.0, 1000.0 / rate / double(targets.size())))};
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", 1000.0 / rate);
        args[5] = buf;
        std::snprintf(buf, sizeof buf, "%g", 1000.0 / rate / double(targets.size()));
        args[7] = buf;
    } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", 1.0 / rate);
        args = {"oping", "-c", std::to_string(count), "-i", buf};
    }
    for (const auto& t : targets) args.push_back(t);
    // A peer that collapses (oping when the RTT exceeds its interval) is cut off at 3x the time.
    args.insert(args.begin(), {"timeout", std::to_string(int(seconds * 3 + 5))});
    int64_t t0 = std::chrono::steady_clock::now().time_since_epoch().count();
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    double elapsed = double(std::chrono::steady_clock::now().time_since_epoch().count() - t0) / 1e9;
    Result r;
    r.echoes = count * targets.size();
    r.cpu_us_per_echo = cpu_seconds(usage) * 1e6 / double(r.echoes);
    r.rate_per_target = double(count) / elapsed;
    std::printf("  %s: %zu echoes asked, ran %.2f s (%.3f/s per target, %+.2f %% vs asked); CPU %.2f us/echo%s\n",
                tool.c_str(), r.echoes, elapsed, r.rate_per_target, (r.rate_per_target / rate - 1) * 100,
                r.cpu_us_per_echo,
                !WIFEXITED(status) || WEXITSTATUS(status) == 124 ? " (cut off at 3x the time: CPU per echo asked)"
                : WEXITSTATUS(status) <= 1                       ? ""
                                                                 : " (exited abnormally)");
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = "dgram", base = "127.0.0.", peers = "floor,fping,oping", dump, extra;
    double seconds = 10;
    int first_host = 1;
    std::vector<std::string> scenarios;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--mode")
            mode = next();
        else if (a == "--seconds")
            seconds = std::stod(next());
        else if (a == "--base")
            base = next();
        else if (a == "--targets-from")
            first_host = std::stoi(next());
        else if (a == "--peers")
            peers = next();
        else if (a == "--dump-rtt")
            dump = next();
        else if (a == "--priority")
            extra += "sender_priority = " + next() + "\n";
        else if (a == "--no-tx-stamps")
            extra += "transmit_timestamps = false\n";
        else
            scenarios.push_back(a);
    }
    if (scenarios.empty()) scenarios = {"1x100", "1x1000", "100x10"};
    for (const std::string& s : scenarios) {
        size_t x = s.find('x');
        int n = std::stoi(s.substr(0, x));
        double rate = std::stod(s.substr(x + 1));
        std::vector<std::string> targets;
        for (int i = 0; i < n; ++i) targets.push_back(base + std::to_string(first_host + i));
        std::printf("scenario %d target(s) x %g/s for %g s (%s sockets, first target %s)\n", n, rate, seconds,
                    mode.c_str(), targets[0].c_str());
        Result ours = run_ours(targets, rate, seconds, mode, dump, extra);
        double fping_cpu = NAN;
        if (peers.find("floor") != std::string::npos) {
            auto floor = zzp::bench::run_floor_pinger(targets, rate, seconds, mode == "raw");
            if (!floor.ok)
                std::printf("  floor (bare loop): could not run: %s\n", floor.error.c_str());
            else
                std::printf(
                    "  floor (bare loop: sleep to the slot, sendto, recv): %zu echoes, %zu replies; CPU %.2f "
                    "us/echo; wake-up after the slot p50 %.1f us p99 %.1f us\n    ratio zzprobe/floor CPU per "
                    "echo: %.2f\n",
                    floor.echoes, floor.replies, floor.cpu_us_per_echo, floor.late_p50_us, floor.late_p99_us,
                    ours.cpu_us_per_echo / floor.cpu_us_per_echo);
        }
        for (const std::string tool : {"fping", "oping"}) {
            if (peers.find(tool) == std::string::npos) continue;
            Result peer = run_peer(tool, targets, rate, seconds);
            if (tool == "fping") fping_cpu = peer.cpu_us_per_echo;
            std::printf("    ratio zzprobe/%s CPU per echo: %.2f\n", tool.c_str(),
                        ours.cpu_us_per_echo / peer.cpu_us_per_echo);
        }
        if (!std::isnan(fping_cpu))
            std::printf("  target (half of fping's CPU per echo): %.2f us; zzprobe %.2f us\n", fping_cpu / 2,
                        ours.cpu_us_per_echo);
        std::fflush(stdout);
    }
    return 0;
}
