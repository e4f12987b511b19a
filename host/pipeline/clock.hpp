// Clocks the pipeline reads: the wall clock (frame intervals, what is recorded) and the
// monotonic clock (deadlines). Injectable so tests can step the wall clock by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <mutex>
#include <vector>

namespace zzp::host {

class Clock {
public:
    virtual ~Clock() = default;
    virtual int64_t wall_ns() const = 0;  // Unix time, ns
    virtual int64_t mono_ns() const = 0;  // CLOCK_MONOTONIC, ns
    // A manual clock does not advance by itself: whoever sleeps until a wall time must instead
    // wait to be told that the time changed (see on_change). Real clocks return false.
    virtual bool is_manual() const { return false; }
    // Register a callback run after every manual change of the time; returns a token for
    // remove_listener. No-op (token 0) on real clocks.
    virtual uint64_t on_change(std::function<void()>) { return 0; }
    virtual void remove_listener(uint64_t /*token*/) {}
};

class RealClock final : public Clock {
public:
    int64_t wall_ns() const override;
    int64_t mono_ns() const override;
};

// The process' real clock, shared.
std::shared_ptr<Clock> real_clock();

// A wall clock stepped by hand (tests, deterministic frame building). The monotonic clock
// stays real, so deadlines (stop, back-off) still expire on their own.
class ManualClock final : public Clock {
public:
    explicit ManualClock(int64_t wall_ns) : wall_ns_(wall_ns) {}
    int64_t wall_ns() const override;
    int64_t mono_ns() const override;
    bool is_manual() const override { return true; }
    uint64_t on_change(std::function<void()> callback) override;
    void remove_listener(uint64_t token) override;

    void set_wall_ns(int64_t wall_ns);
    void advance_ns(int64_t delta_ns);

private:
    void notify();
    mutable std::mutex mutex_;
    int64_t wall_ns_;
    uint64_t next_token_ = 1;
    std::vector<std::pair<uint64_t, std::function<void()>>> listeners_;
};

}  // namespace zzp::host
