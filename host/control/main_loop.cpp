#include "control/main_loop.hpp"

#include <chrono>
#include <ctime>

namespace zzp::host {
namespace {

int64_t mono_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

std::string MainLoop::call(std::function<std::string()> task) {
    auto promise = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = promise->get_future();
    post([task = std::move(task), promise] {
        try {
            promise->set_value(task());
        } catch (const std::exception& e) {
            promise->set_value(std::string("error\n") + e.what() + "\n");
        }
    });
    return result.get();
}

void MainLoop::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
}

void MainLoop::quit(std::string reason) {
    {
        std::lock_guard lock(mutex_);
        if (!quit_) reason_ = std::move(reason);
        quit_ = true;
    }
    cv_.notify_all();
}

std::string MainLoop::run(int64_t deadline_mono_ns) {
    std::unique_lock lock(mutex_);
    for (;;) {
        while (!tasks_.empty()) {
            auto task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            task();
            lock.lock();
        }
        if (quit_) return reason_;
        if (deadline_mono_ns < 0) {
            cv_.wait(lock);
        } else {
            int64_t left = deadline_mono_ns - mono_now_ns();
            if (left <= 0) return "";
            cv_.wait_for(lock, std::chrono::nanoseconds(left));
        }
    }
}

}  // namespace zzp::host
