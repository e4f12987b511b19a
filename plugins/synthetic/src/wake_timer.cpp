#include "wake_timer.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <zzprobe/plugin.hpp>

namespace zzp::synthetic {

int64_t monotonic_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

WakeTimer::WakeTimer() {
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer_fd_ < 0)
        throw zzp::Error(ZZP_E_IO,
                         std::string("cannot create the send timer (timerfd_create): ") + std::strerror(errno));
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) {
        int saved = errno;
        close(timer_fd_);
        throw zzp::Error(ZZP_E_IO, std::string("cannot create the stop event (eventfd): ") + std::strerror(saved));
    }
}

WakeTimer::~WakeTimer() {
    close(timer_fd_);
    close(event_fd_);
}

bool WakeTimer::wait_until(int64_t mono_ns) {
    if (mono_ns < 1) mono_ns = 1;  // an all-zero it_value would disarm the timer
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(mono_ns / 1'000'000'000);
    when.it_value.tv_nsec = static_cast<long>(mono_ns % 1'000'000'000);
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &when, nullptr);

    pollfd fds[2] = {{timer_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
    for (;;) {
        int ready = poll(fds, 2, -1);
        if (ready > 0) break;
        if (ready < 0 && errno != EINTR) break;  // cannot happen with valid fds; do not spin
    }
    uint64_t count = 0;
    if (fds[0].revents & POLLIN) {
        [[maybe_unused]] ssize_t n = read(timer_fd_, &count, sizeof count);
    }
    if (fds[1].revents & POLLIN) {
        [[maybe_unused]] ssize_t n = read(event_fd_, &count, sizeof count);
        return true;
    }
    return false;
}

void WakeTimer::notify() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(event_fd_, &one, sizeof one);
}

}  // namespace zzp::synthetic
