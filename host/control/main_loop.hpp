// The main thread's loop during `zzprobe run`: lifecycle calls are [main] in the ABI, so work
// that other threads want done (a swap asked for on the control socket, a plugin file that
// changed, the end of a swap's probation) is posted here as a task and runs on the main thread,
// one at a time. The loop sleeps on a condition variable until a task arrives, a timer is due or
// a stop is requested — no polling.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace zzp::host {

class MainLoop {
public:
    // Runs `task` on the main thread and waits for its result (a reply text). Must not be called
    // from the main thread itself.
    std::string call(std::function<std::string()> task);
    // Queue `task` for the main thread without waiting. [thread-safe]
    void post(std::function<void()> task);
    // Run `task` on the main thread once CLOCK_MONOTONIC reaches `due_mono_ns`; returns an id for
    // cancel(). [thread-safe]
    uint64_t post_at(int64_t due_mono_ns, std::function<void()> task);
    // Forget a timer that has not run yet (no-op otherwise). [thread-safe]
    void cancel(uint64_t timer_id);
    // Ends run() after the task in progress.
    void quit(std::string reason);
    // Makes the current (or next) run() return "" once, e.g. when a test saw what it waits for.
    void interrupt();
    bool quitting() const;

    // Runs tasks and timers until quit() or until `deadline_mono_ns` (< 0: none); returns the
    // quit reason ("" when the deadline passed).
    std::string run(int64_t deadline_mono_ns = -1);
    // After run(): drop every queued task and timer and refuse new ones; a call() waiting for a
    // dropped task returns "error\nzzprobe is stopping". [main]
    void close();
    // Runs what is ready now (tasks and due timers) and returns; for tests and shutdown.
    void run_ready();

    static int64_t mono_now_ns();

private:
    bool take_ready(std::unique_lock<std::mutex>& lock, std::function<void()>* out);

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    std::multimap<int64_t, std::pair<uint64_t, std::function<void()>>> timers_;  // due -> (id, task)
    uint64_t next_timer_id_ = 1;
    bool quit_ = false;
    bool closed_ = false;
    bool interrupt_ = false;
    std::string reason_;
};

}  // namespace zzp::host
