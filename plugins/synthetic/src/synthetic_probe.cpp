#include "synthetic_probe.hpp"

#include <algorithm>
#include <map>
#include <random>

#include "attempt_model.hpp"
#include "send_schedule.hpp"
#include "settle_queue.hpp"

namespace zzp::synthetic {
namespace {

// At most one wake-up per millisecond: at high rates the sends of one millisecond leave in one
// batch (their records still carry their exact scheduled times), which keeps CPU use low.
constexpr int64_t kCoalesceNs = 1'000'000;
// A slot later than this (or one period, if longer) is skipped instead of sent late.
constexpr int64_t kStallToleranceNs = 20'000'000;
// How long before the stop deadline the pending attempts are settled at once.
constexpr int64_t kStopMarginNs = 20'000'000;

}  // namespace

SyntheticProbe::~SyntheticProbe() {
    if (worker_.joinable()) join_worker(monotonic_now_ns());
}

void SyntheticProbe::configure(const zzp::Config& config) {
    settings_ = read_settings(config);
    next_seq_.assign(settings_.targets.size(), 1);
    seed_ = settings_.seed != 0 ? settings_.seed : std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
}

void SyntheticProbe::start() {
    if (worker_.joinable()) throw zzp::Error(ZZP_E_STATE, "the synthetic probe is already running");
    if (settings_.targets.empty()) throw zzp::Error(ZZP_E_STATE, "start() before configure()");
    target_ids_.clear();
    for (const std::string& name : settings_.targets) {
        uint32_t id = host().intern_target(name, "synthetic:" + name);
        if (id == 0) throw zzp::Error(ZZP_E_INTERNAL, "the host refused target '" + name + "'");
        target_ids_.push_back(id);
    }
    timer_ = std::make_unique<WakeTimer>();
    wall_minus_mono_ns_ = host().wall_now_ns() - monotonic_now_ns();
    stopping_.store(false);
    host().log(ZZP_LOG_INFO, "synthetic: %zu target(s) at %g/s, rtt %.3f ms, loss %g, seed %llu",
               settings_.targets.size(), settings_.rate, static_cast<double>(settings_.rtt_ns) / 1e6, settings_.loss,
               static_cast<unsigned long long>(seed_));
    worker_ = std::thread([this] { run(); });
}

void SyntheticProbe::stop(int64_t deadline_mono_ns) {
    if (!worker_.joinable()) return;
    // The deadline is on the host's monotonic clock (injectable); translate it to ours.
    int64_t remaining = deadline_mono_ns - host().mono_now_ns();
    int64_t margin = std::clamp<int64_t>(remaining / 10, 1'000'000, kStopMarginNs);
    join_worker(monotonic_now_ns() + remaining - margin);
}

void SyntheticProbe::join_worker(int64_t flush_at_mono_ns) {
    flush_at_mono_ns_.store(flush_at_mono_ns);
    stopping_.store(true);
    timer_->notify();
    worker_.join();
    timer_.reset();
}

void SyntheticProbe::run() {
    const size_t n = settings_.targets.size();
    AttemptModel model(settings_, n, seed_);
    SendSchedule schedule(settings_.rate, n, monotonic_now_ns());
    SettleQueue pending;
    std::vector<uint64_t> highest_replied_seq(n, 0);  // to flag reordered replies
    const auto period_ns = static_cast<int64_t>(1e9 / settings_.rate);
    const int64_t stall_tolerance = std::max(period_ns, kStallToleranceNs);
    std::vector<zzp_sample> batch;

    auto send_next = [&] {
        size_t t = schedule.next_target();
        int64_t send_mono = schedule.next_time_ns();
        schedule.advance();
        zzp_sample sent{};
        sent.seq = next_seq_[t]++;
        sent.sent_wall_ns = send_mono + wall_minus_mono_ns_;
        sent.rtt_ns = -1;
        sent.target_id = target_ids_[t];
        sent.status = ZZP_SAMPLE_SENT;
        batch.push_back(sent);

        AttemptOutcome outcome = model.next(t, send_mono);
        zzp_sample settled = sent;
        if (outcome.replied) {
            settled.status = ZZP_SAMPLE_REPLY;
            settled.rtt_ns = outcome.rtt_ns;
            pending.push(send_mono + outcome.rtt_ns, t, settled);
        } else {
            settled.status = ZZP_SAMPLE_LOST;
            pending.push(send_mono + settings_.timeout_ns, t, settled);
        }
    };
    auto settle_next = [&] {
        PendingSettle due = pending.pop();
        zzp_sample& s = due.sample;
        if (s.status == ZZP_SAMPLE_REPLY) {
            uint64_t& highest = highest_replied_seq[due.target_index];
            if (s.seq < highest) s.flags |= ZZP_SAMPLE_F_REORDERED;
            highest = std::max(highest, s.seq);
        }
        batch.push_back(s);
    };

    for (;;) {
        const int64_t now = monotonic_now_ns();
        const bool stopping = stopping_.load();
        batch.clear();
        if (!stopping) {
            if (uint64_t skipped = schedule.skip_stale(now, stall_tolerance))
                host().log(ZZP_LOG_WARN, "synthetic: skipped %llu sends after a stall (no catch-up burst)",
                           static_cast<unsigned long long>(skipped));
            // Sends and settles in time order, so a batch reads like the timeline it covers.
            while (schedule.next_time_ns() <= now || (!pending.empty() && pending.next_due_ns() <= now)) {
                bool send_first = schedule.next_time_ns() <= now &&
                                  (pending.empty() || schedule.next_time_ns() <= pending.next_due_ns());
                if (send_first)
                    send_next();
                else
                    settle_next();
            }
        } else {
            // Stopping: no new sends; settle what falls due, and everything once the deadline
            // nears. The outcome of each attempt was drawn when it was sent, so settling early
            // reports exactly what would have happened: an attempt that will be answered is
            // never turned into a LOST.
            const bool flush_all = now >= flush_at_mono_ns_.load();
            while (!pending.empty() && (flush_all || pending.next_due_ns() <= now)) settle_next();
        }
        if (!batch.empty()) host().emit(batch);
        if (stopping && pending.empty()) return;

        int64_t wake_at =
            stopping ? std::min(pending.next_due_ns(), flush_at_mono_ns_.load()) : schedule.next_time_ns();
        if (!pending.empty()) wake_at = std::min(wake_at, pending.next_due_ns());
        wake_at = std::max(wake_at, now + kCoalesceNs);
        if (stopping) wake_at = std::min(wake_at, std::max(now, flush_at_mono_ns_.load()));
        timer_->wait_until(wake_at);
    }
}

std::string SyntheticProbe::save_state() {
    zzp::StateWriter w;
    w.u64(settings_.targets.size());
    for (size_t i = 0; i < settings_.targets.size(); ++i) {
        w.str(settings_.targets[i]);
        w.u64(next_seq_[i]);
    }
    return w.bytes();
}

void SyntheticProbe::load_state(uint32_t format, const std::string& bytes) {
    if (format != kStateFormat)
        throw zzp::Error(ZZP_E_UNSUPPORTED, "synthetic probe state format " + std::to_string(format) +
                                                " is unknown; this version reads format " +
                                                std::to_string(kStateFormat));
    zzp::StateReader r(bytes);
    std::map<std::string, uint64_t> restored;
    for (uint64_t count = r.u64(); count > 0; --count) {
        std::string name = r.str();
        restored[name] = r.u64();
    }
    // Targets kept across the swap continue their sequence; new targets start at 1.
    for (size_t i = 0; i < settings_.targets.size(); ++i) {
        auto it = restored.find(settings_.targets[i]);
        if (it != restored.end() && it->second > 0) next_seq_[i] = it->second;
    }
}

}  // namespace zzp::synthetic
