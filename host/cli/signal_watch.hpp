// SIGINT / SIGTERM / SIGHUP handling for `zzprobe run` without async-signal hazards: the
// signals are blocked in every thread (call block_stop_signals() before any thread exists) and
// one thread waits on a signalfd. The first signal asks the pipeline to stop gracefully; a
// second one while stopping exits at once.
#pragma once

#include <functional>
#include <thread>

namespace zzp::host {

// Block the stop signals in the calling thread; threads created afterwards inherit the mask.
void block_stop_signals();

class SignalWatch {
public:
    // `on_first` runs on the watcher thread with the signal's name.
    explicit SignalWatch(std::function<void(const char* signal_name)> on_first);
    ~SignalWatch();  // stops and joins the watcher thread
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

private:
    void run();
    std::function<void(const char*)> on_first_;
    int signal_fd_ = -1;
    int wake_fd_ = -1;
    std::thread thread_;
};

}  // namespace zzp::host
