// The console sink: keeps a window of frames per target and prints the summary every
// `refresh` from a small timer thread (so a silent pipeline still shows its targets going
// quiet), joined in stop(). The dispatcher's calls only store frames under a mutex.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <zzprobe/plugin.hpp>

#include "console_settings.hpp"
#include "frame_window.hpp"

namespace zzp::console {

class ConsoleSink : public zzp::Sink {
public:
    ~ConsoleSink() override;

    uint32_t accepts() const override { return ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL; }
    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;
    void on_target(const zzp_target_info& target) override;
    zzp_status write(const zzp_batch& batch) override;

private:
    void run();
    void print_summary();  // renders under the lock, writes outside it

    ConsoleSettings settings_;
    int fd_ = 1;
    bool use_table_ = false;
    bool redraw_in_place_ = false;  // ANSI cursor movement: only when the output is a terminal
    size_t lines_on_screen_ = 0;    // for the in-place redraw

    std::mutex mutex_;  // guards window_ and stopping_
    std::condition_variable wake_;
    FrameWindow window_;
    bool stopping_ = false;
    std::thread printer_;
};

}  // namespace zzp::console
