#include "control/plugin_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "common/log.hpp"

namespace zzp::host {
namespace {

int64_t mono_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool is_library(const std::string& name) {
    return name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0 && name[0] != '.';
}

}  // namespace

PluginWatcher::PluginWatcher(std::vector<std::filesystem::path> dirs, Callback on_change, int64_t settle_ns)
    : dirs_(std::move(dirs)), on_change_(std::move(on_change)), settle_ns_(settle_ns) {}

PluginWatcher::~PluginWatcher() {
    if (wake_fd_ >= 0) {
        uint64_t one = 1;
        ssize_t ignored = write(wake_fd_, &one, sizeof one);
        (void)ignored;
    }
    if (thread_.joinable()) thread_.join();
    if (inotify_fd_ >= 0) close(inotify_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
}

bool PluginWatcher::start(std::string* error) {
    inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    wake_fd_ = eventfd(0, EFD_CLOEXEC);
    if (inotify_fd_ < 0 || wake_fd_ < 0) {
        *error = std::string("inotify unavailable: ") + std::strerror(errno);
        return false;
    }
    for (const auto& dir : dirs_) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) continue;
        int wd = inotify_add_watch(inotify_fd_, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE);
        if (wd < 0) {
            log_warn("watch", "cannot watch " + dir.string() + ": " + std::strerror(errno));
            continue;
        }
        watches_[wd] = dir;
    }
    thread_ = std::thread([this] { run(); });
    return true;
}

void PluginWatcher::run() {
    std::map<std::filesystem::path, int64_t> due;  // path -> when to report it
    alignas(inotify_event) char buf[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
    for (;;) {
        int timeout_ms = -1;
        if (!due.empty()) {
            int64_t first = INT64_MAX;
            for (const auto& [path, when] : due) first = std::min(first, when);
            int64_t left = first - mono_now_ns();
            timeout_ms = left <= 0 ? 0 : static_cast<int>((left + 999'999) / 1'000'000);
        }
        pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        int rc = poll(fds, 2, timeout_ms);  // sleeps until an event or the next report is due
        if (rc < 0 && errno != EINTR) return;
        if (fds[1].revents) return;
        if (fds[0].revents & POLLIN) {
            for (;;) {
                ssize_t n = read(inotify_fd_, buf, sizeof buf);
                if (n <= 0) break;
                for (char* p = buf; p < buf + n;) {
                    auto* ev = reinterpret_cast<inotify_event*>(p);
                    p += sizeof(inotify_event) + ev->len;
                    if (ev->len == 0 || !is_library(ev->name)) continue;
                    auto it = watches_.find(ev->wd);
                    if (it == watches_.end()) continue;
                    due[it->second / ev->name] = mono_now_ns() + settle_ns_;
                }
            }
        }
        int64_t now = mono_now_ns();
        for (auto it = due.begin(); it != due.end();) {
            if (it->second <= now) {
                on_change_(it->first);
                it = due.erase(it);
            } else {
                ++it;
            }
        }
    }
}

}  // namespace zzp::host
