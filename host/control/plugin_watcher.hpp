// Notices a rebuilt plugin dropped into a plugin folder (inotify), so a running host can swap to
// it without being asked. Reacts to a file renamed into the folder (what `install` and an atomic
// `mv` do) and to a file closed after writing (a `cp` over it). Changes to the same file within
// `settle` are reported once, after the writer is done.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace zzp::host {

class PluginWatcher {
public:
    using Callback = std::function<void(const std::filesystem::path& library)>;

    PluginWatcher(std::vector<std::filesystem::path> dirs, Callback on_change, int64_t settle_ns = 150'000'000);
    ~PluginWatcher();
    PluginWatcher(const PluginWatcher&) = delete;
    PluginWatcher& operator=(const PluginWatcher&) = delete;

    // Starts watching the folders that exist; false with *error when inotify is unavailable.
    bool start(std::string* error);

private:
    void run();

    std::vector<std::filesystem::path> dirs_;
    Callback on_change_;
    int64_t settle_ns_;
    int inotify_fd_ = -1;
    int wake_fd_ = -1;
    std::map<int, std::filesystem::path> watches_;
    std::thread thread_;
};

}  // namespace zzp::host
