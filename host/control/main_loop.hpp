// The main thread's loop during `zzprobe run`: lifecycle calls are [main] in the ABI, so work
// that other threads want done (a swap asked for on the control socket, a plugin file that
// changed) is posted here as a task and runs on the main thread, one at a time. The loop sleeps
// on a condition variable until a task arrives or a stop is requested — no polling.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>

namespace zzp::host {

class MainLoop {
public:
    // Runs `task` on the main thread and waits for its result (a reply text).
    std::string call(std::function<std::string()> task);
    // Queue `task` for the main thread without waiting.
    void post(std::function<void()> task);
    // Ends run() after the task in progress.
    void quit(std::string reason);

    // Runs tasks until quit() or until `deadline_mono_ns` (< 0: none); returns the quit reason
    // ("" when the deadline passed).
    std::string run(int64_t deadline_mono_ns = -1);

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool quit_ = false;
    std::string reason_;
};

}  // namespace zzp::host
