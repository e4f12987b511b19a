#include "pipeline/clock.hpp"

#include <time.h>

namespace zzp::host {
namespace {

int64_t read_clock(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int64_t RealClock::wall_ns() const { return read_clock(CLOCK_REALTIME); }
int64_t RealClock::mono_ns() const { return read_clock(CLOCK_MONOTONIC); }

std::shared_ptr<Clock> real_clock() {
    static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
    return clock;
}

int64_t ManualClock::wall_ns() const {
    std::lock_guard lock(mutex_);
    return wall_ns_;
}

int64_t ManualClock::mono_ns() const { return read_clock(CLOCK_MONOTONIC); }

uint64_t ManualClock::on_change(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    listeners_.emplace_back(next_token_, std::move(callback));
    return next_token_++;
}

void ManualClock::remove_listener(uint64_t token) {
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [token](const auto& l) { return l.first == token; });
}

void ManualClock::set_wall_ns(int64_t wall_ns) {
    {
        std::lock_guard lock(mutex_);
        wall_ns_ = wall_ns;
    }
    notify();
}

void ManualClock::advance_ns(int64_t delta_ns) {
    {
        std::lock_guard lock(mutex_);
        wall_ns_ += delta_ns;
    }
    notify();
}

void ManualClock::notify() {
    // Callbacks run under the lock so a listener being removed is never called afterwards;
    // they must only notify (never call back into the clock's setters).
    std::lock_guard lock(mutex_);
    for (auto& l : listeners_) l.second();
}

}  // namespace zzp::host
