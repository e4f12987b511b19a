#include "lossy_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace zzp::stream::test {
namespace {

int64_t mono_now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

}  // namespace

LossyRelay::LossyRelay(uint16_t upstream_port, Impairment impairment, uint32_t seed)
    : impairment_(impairment), random_(seed) {
    client_side_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    upstream_side_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int big = 8 << 20;
    for (int fd : {client_side_, upstream_side_}) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    }
    sockaddr_in any = loopback(0);
    sockaddr_in up = loopback(upstream_port);
    if (bind(client_side_, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
        connect(upstream_side_, reinterpret_cast<sockaddr*>(&up), sizeof up) != 0)
        throw std::runtime_error("relay: cannot set up loopback sockets");
    socklen_t len = sizeof any;
    getsockname(client_side_, reinterpret_cast<sockaddr*>(&any), &len);
    local_port_ = ntohs(any.sin_port);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    stop_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
}

LossyRelay::~LossyRelay() {
    uint64_t one = 1;
    (void)!write(stop_, &one, sizeof one);
    thread_.join();
    for (int fd : {client_side_, upstream_side_, timer_, stop_}) close(fd);
}

void LossyRelay::send_now(int fd, bool to_client, const char* data, size_t size) {
    if (to_client)
        sendto(fd, data, size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(client_addr_.data()),
               static_cast<socklen_t>(client_addr_.size()));
    else
        send(fd, data, size, MSG_DONTWAIT);
    ++forwarded_;
}

void LossyRelay::forward(int fd, bool to_client, const char* data, size_t size, int64_t now) {
    std::uniform_real_distribution<double> coin(0, 1);
    if (coin(random_) < impairment_.loss) {
        ++dropped_;
        return;
    }
    if (coin(random_) < impairment_.reorder) {
        ++reordered_;
        held_.push_back(Held{now + impairment_.hold_ms * 1'000'000LL, fd, to_client, std::vector<char>(data, data + size)});
        return;
    }
    send_now(fd, to_client, data, size);
}

void LossyRelay::arm(int64_t now) {
    itimerspec spec{};
    if (!held_.empty()) {
        int64_t at = std::max(now + 1, std::min_element(held_.begin(), held_.end(), [](auto& a, auto& b) {
                                           return a.release_mono < b.release_mono;
                                       })->release_mono);
        spec.it_value.tv_sec = at / 1'000'000'000;
        spec.it_value.tv_nsec = at % 1'000'000'000;
    }
    timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void LossyRelay::run() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : {client_side_, upstream_side_, timer_, stop_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    std::vector<char> buf(65536);
    for (;;) {
        epoll_event events[4];
        int n = epoll_wait(ep, events, 4, -1);
        if (n < 0) continue;
        int64_t now = mono_now();
        bool stopping = false;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == stop_) stopping = true;
            if (fd == timer_) {
                uint64_t x;
                (void)!read(timer_, &x, sizeof x);
            }
            if (fd == client_side_) {
                for (;;) {
                    sockaddr_storage from{};
                    socklen_t len = sizeof from;
                    ssize_t got = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
                    if (got < 0) break;
                    if (!have_client_) {
                        client_addr_.assign(reinterpret_cast<char*>(&from), reinterpret_cast<char*>(&from) + len);
                        have_client_ = true;
                    }
                    forward(upstream_side_, false, buf.data(), static_cast<size_t>(got), now);
                }
            }
            if (fd == upstream_side_) {
                for (;;) {
                    ssize_t got = recv(fd, buf.data(), buf.size(), 0);
                    if (got < 0) break;
                    if (have_client_) forward(client_side_, true, buf.data(), static_cast<size_t>(got), now);
                }
            }
        }
        if (stopping) break;
        // Release what is due, oldest first.
        std::stable_sort(held_.begin(), held_.end(), [](auto& a, auto& b) { return a.release_mono < b.release_mono; });
        size_t released = 0;
        for (; released < held_.size() && held_[released].release_mono <= now; ++released)
            send_now(held_[released].fd, held_[released].to_client, held_[released].bytes.data(),
                     held_[released].bytes.size());
        held_.erase(held_.begin(), held_.begin() + static_cast<long>(released));
        arm(now);
    }
    close(ep);
}

}  // namespace zzp::stream::test
