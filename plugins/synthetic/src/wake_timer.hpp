// Sleeps until an absolute CLOCK_MONOTONIC time (timerfd, TFD_TIMER_ABSTIME) or until another
// thread calls notify() (an eventfd), whichever comes first. One poll() on both: no polling
// loop, no drift, and stop() never waits for a long sleep to end.
#pragma once

#include <cstdint>

namespace zzp::synthetic {

class WakeTimer {
public:
    WakeTimer();  // throws zzp::Error(ZZP_E_IO) when the kernel refuses the descriptors
    ~WakeTimer();
    WakeTimer(const WakeTimer&) = delete;
    WakeTimer& operator=(const WakeTimer&) = delete;

    // Blocks until CLOCK_MONOTONIC reaches `mono_ns` or notify() was called (also if it was
    // called before this wait began). Returns true when woken by notify().
    bool wait_until(int64_t mono_ns);
    void notify();  // [thread-safe]

private:
    int timer_fd_ = -1;
    int event_fd_ = -1;
};

int64_t monotonic_now_ns();

}  // namespace zzp::synthetic
