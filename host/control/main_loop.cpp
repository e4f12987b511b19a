#include "control/main_loop.hpp"

#include <chrono>
#include <ctime>

namespace zzp::host {

int64_t MainLoop::mono_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string MainLoop::call(std::function<std::string()> task) {
    auto promise = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = promise->get_future();
    // The task owns the only reference to the promise: a task dropped by close() breaks it.
    post([task = std::move(task), promise = std::move(promise)] {
        try {
            promise->set_value(task());
        } catch (const std::exception& e) {
            promise->set_value(std::string("error\n") + e.what() + "\n");
        }
    });
    try {
        return result.get();
    } catch (const std::future_error&) {
        return "error\nzzprobe is stopping; nothing was done\n";
    }
}

void MainLoop::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;  // dropping the task breaks a call()'s promise: it answers an error
        tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
}

void MainLoop::close() {
    std::deque<std::function<void()>> tasks;
    std::multimap<int64_t, std::pair<uint64_t, std::function<void()>>> timers;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        tasks.swap(tasks_);
        timers.swap(timers_);
    }
    // Destroyed outside the lock: a task's captures may post (they are dropped).
}

uint64_t MainLoop::post_at(int64_t due_mono_ns, std::function<void()> task) {
    uint64_t id;
    {
        std::lock_guard lock(mutex_);
        id = next_timer_id_++;
        if (closed_) return id;
        timers_.emplace(due_mono_ns, std::make_pair(id, std::move(task)));
    }
    cv_.notify_all();
    return id;
}

void MainLoop::cancel(uint64_t timer_id) {
    std::lock_guard lock(mutex_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.first == timer_id) {
            timers_.erase(it);
            return;
        }
    }
}

void MainLoop::quit(std::string reason) {
    {
        std::lock_guard lock(mutex_);
        if (!quit_) reason_ = std::move(reason);
        quit_ = true;
    }
    cv_.notify_all();
}

void MainLoop::interrupt() {
    {
        std::lock_guard lock(mutex_);
        interrupt_ = true;
    }
    cv_.notify_all();
}

bool MainLoop::quitting() const {
    std::lock_guard lock(mutex_);
    return quit_;
}

bool MainLoop::take_ready(std::unique_lock<std::mutex>&, std::function<void()>* out) {
    if (!tasks_.empty()) {
        *out = std::move(tasks_.front());
        tasks_.pop_front();
        return true;
    }
    if (!timers_.empty() && timers_.begin()->first <= mono_now_ns()) {
        *out = std::move(timers_.begin()->second.second);
        timers_.erase(timers_.begin());
        return true;
    }
    return false;
}

void MainLoop::run_ready() {
    std::unique_lock lock(mutex_);
    std::function<void()> task;
    while (take_ready(lock, &task)) {
        lock.unlock();
        task();
        task = nullptr;
        lock.lock();
    }
}

std::string MainLoop::run(int64_t deadline_mono_ns) {
    std::unique_lock lock(mutex_);
    for (;;) {
        std::function<void()> task;
        while (!quit_ && !interrupt_ && take_ready(lock, &task)) {
            lock.unlock();
            task();
            task = nullptr;
            lock.lock();
        }
        if (quit_) return reason_;
        if (interrupt_) {
            interrupt_ = false;
            return "";
        }
        int64_t wake = deadline_mono_ns < 0 ? INT64_MAX : deadline_mono_ns;
        if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first);
        const int64_t now = mono_now_ns();
        if (deadline_mono_ns >= 0 && now >= deadline_mono_ns) return "";
        if (wake == INT64_MAX) cv_.wait(lock);
        else if (wake > now) cv_.wait_for(lock, std::chrono::nanoseconds(wake - now));
    }
}

}  // namespace zzp::host
