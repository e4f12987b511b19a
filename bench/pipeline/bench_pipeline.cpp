// bench_pipeline — figures for the host data pipeline.
//   (default)        throughput through the real host path and the raw frame-builder cost
//   --idle SECONDS   host CPU of a pipeline with one 10 echo/s probe and a null sink
//   --samples N      samples for the throughput run (default 20000000)
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/frame_builder.hpp"
#include "pipeline/pipeline.hpp"
#include "support/in_process_instance.hpp"

using namespace zzp::host;

namespace {

constexpr int64_t T0 = 1'700'000'000'000'000'000;

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long voluntary_switches() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_nvcsw;
}

double now_seconds() { return static_cast<double>(real_clock()->mono_ns()) / 1e9; }

// A sink that keeps nothing: what is left is the host's own cost.
class NullSink : public zzp::Sink {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES | ZZP_ACCEPT_FRAMES_FINAL; }
    zzp_status write(const zzp_batch&) override { return ZZP_OK; }
};

// The same, but taking every live publication (like the console or the stream sink): the host
// then hands frames over at every interval end.
class LiveNullSink : public NullSink {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES | ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL; }
};

// Hands its host table out so the benchmark thread can emit through the real host path.
std::atomic<const zzp_host*> g_bench_host{nullptr};
class HostHandoutProbe : public zzp::Plugin {
public:
    void start() override { g_bench_host = host().raw(); }
};

// 10 echo/s from a timerfd thread (no polling): SENT, then REPLY 1 ms later.
class TimerProbe : public zzp::Plugin {
public:
    void start() override {
        target_ = host().intern_target("loopback", "127.0.0.1");
        timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        stop_pipe_[0] = stop_pipe_[1] = -1;
        if (pipe(stop_pipe_) != 0) throw zzp::Error(ZZP_E_IO, "pipe failed");
        itimerspec spec{};
        spec.it_interval.tv_nsec = 100'000'000;
        spec.it_value.tv_nsec = 100'000'000;
        timerfd_settime(timer_, 0, &spec, nullptr);
        thread_ = std::thread([this] { run(); });
    }
    void stop(int64_t) override {
        if (write(stop_pipe_[1], "x", 1) != 1) std::perror("write");
        thread_.join();
        close(timer_);
        close(stop_pipe_[0]);
        close(stop_pipe_[1]);
    }

private:
    void run() {
        uint64_t seq = 0;
        for (;;) {
            pollfd fds[2] = {{timer_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) continue;  // blocks until the next send or stop
            if (fds[1].revents) return;
            uint64_t ticks = 0;
            if (read(timer_, &ticks, sizeof ticks) != sizeof ticks) continue;
            zzp_sample s[2]{};
            s[0].seq = s[1].seq = ++seq;
            s[0].target_id = s[1].target_id = target_;
            s[0].sent_wall_ns = s[1].sent_wall_ns = host().wall_now_ns();
            s[0].status = ZZP_SAMPLE_SENT;
            s[0].rtt_ns = -1;
            s[1].status = ZZP_SAMPLE_REPLY;
            s[1].rtt_ns = 1'000'000;
            host().emit(s, 2);
        }
    }
    uint32_t target_ = 0;
    int timer_ = -1;
    int stop_pipe_[2];
    std::thread thread_;
};

const zzp_config_key kKeys[] = {zzp::key("unused", ZZP_CFG_INT, "0", "none")};
const zzp_plugin_descriptor kHandout = zzp::describe(ZZP_KIND_PROBE, "bench-probe", "bench", "1.0.0", "", kKeys, "");
const zzp_plugin_descriptor kTimer = zzp::describe(ZZP_KIND_PROBE, "bench-timer", "bench", "1.0.0", "", kKeys, "");
const zzp_plugin_descriptor kNull = zzp::describe(ZZP_KIND_SINK, "null-sink", "null", "1.0.0", "", kKeys, "");
const zzp_plugin_descriptor kLiveNull = zzp::describe(ZZP_KIND_SINK, "live-null-sink", "live null", "1.0.0", "", kKeys, "");

// A realistic mix: many targets, SENT + settle pairs, ~2 % loss, settles a little after sends.
// `attempt_rate` attempts per second of synthetic time across all targets.
std::vector<zzp_sample> make_mix(size_t samples, uint32_t targets, uint32_t first_id, double attempt_rate) {
    std::vector<zzp_sample> v;
    v.reserve(samples);
    std::mt19937_64 rng(1);
    const int64_t step = static_cast<int64_t>(1e9 / attempt_rate);
    std::vector<uint64_t> seq(targets, 0);
    size_t attempt = 0;
    while (v.size() + 2 <= samples) {
        const uint32_t t = static_cast<uint32_t>(attempt % targets);
        zzp_sample s{};
        s.seq = ++seq[t];
        s.target_id = first_id + t;
        s.sent_wall_ns = T0 + static_cast<int64_t>(attempt) * step;
        s.status = ZZP_SAMPLE_SENT;
        s.rtt_ns = -1;
        v.push_back(s);
        if (rng() % 50 == 0) {
            s.status = ZZP_SAMPLE_LOST;
        } else {
            s.status = ZZP_SAMPLE_REPLY;
            s.rtt_ns = 2'000'000 + static_cast<int64_t>(rng() % 30'000'000);
        }
        v.push_back(s);
        ++attempt;
    }
    return v;
}

int run_throughput(size_t total) {
    const uint32_t targets = 1000;
    const size_t batch = 512;
    // Raw frame builder: no threads, no locks.
    {
        auto mix = make_mix(total, targets, 1, 1e6);
        FrameBuilder b(FrameBuilderOptions{100'000'000, 5'000'000'000});
        std::vector<zzp_frame> out;
        size_t frames = 0;
        const double t0 = now_seconds();
        for (size_t i = 0; i < mix.size(); i += batch) {
            const size_t n = std::min(batch, mix.size() - i);
            b.push(mix.data() + i, n);
            b.advance(mix[i + n - 1].sent_wall_ns, out);
            frames += out.size();
            out.clear();
        }
        b.finalize_all(out);
        frames += out.size();
        const double dt = now_seconds() - t0;
        std::printf("frame builder raw cost: %.1f ns/sample (%.2f M samples/s, %zu frames, 1000 targets)  [no target; informs the one below]\n",
                    dt * 1e9 / static_cast<double>(mix.size()), static_cast<double>(mix.size()) / dt / 1e6, frames);
    }
    // Full host path.
    auto clock = std::make_shared<ManualClock>(T0);
    TargetRegistry registry;
    PipelineOptions o;
    o.clock = clock;
    o.registry = &registry;
    std::vector<InstanceSpec> specs;
    specs.push_back({ZZP_KIND_PROBE, "probe", "bench-probe", {},
                     zzp::test::InProcessInstance::factory(kHandout, zzp::entry<HostHandoutProbe>(kHandout), "probe"), nullptr});
    specs.push_back({ZZP_KIND_SINK, "null", "null-sink", {},
                     zzp::test::InProcessInstance::factory(kNull, zzp::entry<NullSink>(kNull), "null"), nullptr});
    Pipeline p(std::move(specs), o);
    std::vector<PipelineError> errors;
    if (!p.open(errors) || !p.start(errors)) {
        std::fprintf(stderr, "bench_pipeline: pipeline failed to start: %s\n", errors.empty() ? "?" : errors[0].text().c_str());
        return 1;
    }
    const zzp_host* h = g_bench_host.load();
    uint32_t first_id = 0;
    for (uint32_t t = 0; t < targets; ++t) {
        uint32_t id = zzp::Host(h).intern_target("t" + std::to_string(t), "127.0.0.1");
        if (t == 0) first_id = id;
    }
    auto mix = make_mix(total, targets, first_id, 1e6);
    const double cpu0 = cpu_seconds();
    const double t0 = now_seconds();
    for (size_t i = 0; i < mix.size(); i += batch) {
        const size_t n = std::min(batch, mix.size() - i);
        h->emit(h, mix.data() + i, static_cast<uint32_t>(n));
        // Time goes on behind the emitted sends (a probe emits right after it reads the clock).
        if ((i / batch) % 64 == 0) clock->set_wall_ns(mix[i].sent_wall_ns - 20'000'000);
    }
    clock->set_wall_ns(mix.back().sent_wall_ns + 10'000'000'000);
    StopReport r = p.stop(real_clock()->mono_ns() + 60'000'000'000);
    const double dt = now_seconds() - t0;
    const double cpu = cpu_seconds() - cpu0;
    auto sinks = p.sink_counters();
    const uint64_t written = sinks.empty() ? 0 : sinks[0].second.written;
    std::printf("host path throughput: %.2f M samples/s wall, %.2f M samples per CPU-second (one core)  [target >= 2 M/s]\n",
                static_cast<double>(mix.size()) / dt / 1e6, static_cast<double>(mix.size()) / cpu / 1e6);
    std::printf("host path details: %zu samples emitted, %llu records written to the null sink, %llu samples through the frame builder (%llu after their frame was final), stop %s\n",
                mix.size(), static_cast<unsigned long long>(written),
                static_cast<unsigned long long>(p.counters().frames.samples),
                static_cast<unsigned long long>(p.counters().frames.settled_after_final),
                r.clean ? "clean" : "NOT clean");
    return r.clean ? 0 : 1;
}

int run_idle_once(double seconds, bool live) {
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    std::vector<InstanceSpec> specs;
    specs.push_back({ZZP_KIND_PROBE, "probe", "bench-timer", {},
                     zzp::test::InProcessInstance::factory(kTimer, zzp::entry<TimerProbe>(kTimer), "probe"), nullptr});
    if (live)
        specs.push_back({ZZP_KIND_SINK, "null", "null-sink", {},
                         zzp::test::InProcessInstance::factory(kLiveNull, zzp::entry<LiveNullSink>(kLiveNull), "null"), nullptr});
    else
        specs.push_back({ZZP_KIND_SINK, "null", "null-sink", {},
                         zzp::test::InProcessInstance::factory(kNull, zzp::entry<NullSink>(kNull), "null"), nullptr});
    Pipeline p(std::move(specs), o);
    std::vector<PipelineError> errors;
    if (!p.open(errors) || !p.start(errors)) {
        std::fprintf(stderr, "bench_pipeline: pipeline failed to start\n");
        return 1;
    }
    // Measure from the first full second: thread start-up and the first passes are not idle.
    p.wait_for_stop_request(1'000'000'000);
    const double cpu0 = cpu_seconds();
    const long switches0 = voluntary_switches();
    const double t0 = now_seconds();
    p.wait_for_stop_request(static_cast<int64_t>(seconds * 1e9));
    const double cpu = cpu_seconds() - cpu0;
    const long switches = voluntary_switches() - switches0;
    const double dt = now_seconds() - t0;
    p.stop(real_clock()->mono_ns() + 5'000'000'000);
    auto sinks = p.sink_counters();
    std::printf("idle host CPU, %s: %.4f %% of one core over %.0f s, %.1f wake-ups/s (probe: 10), %.1f us CPU per wake-up "
                "(10 echo/s probe, null sink, %llu records written)  [target < 0.1 %%]\n",
                live ? "sink taking live frames (every 100 ms)" : "sink taking final frames (batch_delay 1 s)",
                100.0 * cpu / dt, dt, static_cast<double>(switches) / dt, switches ? cpu * 1e6 / static_cast<double>(switches) : 0.0,
                static_cast<unsigned long long>(sinks.empty() ? 0 : sinks[0].second.written));
    return 0;
}

int run_idle(double seconds) {
    int rc = run_idle_once(seconds, false);
    rc |= run_idle_once(seconds, true);
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    double idle = -1;
    size_t samples = 20'000'000;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--idle")) {
            idle = (i + 1 < argc && argv[i + 1][0] != '-') ? std::atof(argv[++i]) : 60.0;
        } else if (!std::strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = std::strtoull(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: bench_pipeline [--samples N] [--idle [SECONDS]]\n");
            return 2;
        }
    }
    if (idle > 0) return run_idle(idle);
    return run_throughput(samples);
}
