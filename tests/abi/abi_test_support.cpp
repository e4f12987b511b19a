#include "abi_test_support.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <stdexcept>

namespace zzp::abi_test {
namespace fs = std::filesystem;

fs::path plugin(const std::string& name) {
    return fs::path(ZZP_ABI_PLUGIN_DIR) / ("zzp-abi-" + name + ".so");
}

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "zzp-abi-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

Marker::Marker() : file_(dir_.path() / "plugin-code-ran") {
    ::setenv("ZZP_MARKER", file_.c_str(), 1);
}
Marker::~Marker() {
    ::unsetenv("ZZP_MARKER");
}
bool Marker::exists() const {
    return fs::exists(file_);
}

LogCapture::LogCapture() {
    host::set_log_sink(&LogCapture::sink, this);
}
LogCapture::~LogCapture() {
    host::set_log_sink(nullptr, nullptr);
}
void LogCapture::sink(host::LogLevel, std::string_view line, void* self) {
    static_cast<LogCapture*>(self)->lines_.emplace_back(line);
}
std::vector<std::string> LogCapture::lines() const {
    return lines_;
}
bool LogCapture::contains(const std::string& text) const {
    for (const std::string& l : lines_)
        if (l.find(text) != std::string::npos) return true;
    return false;
}

size_t mapped_shared_objects() {
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> files;
    std::string line;
    while (std::getline(maps, line)) {
        size_t slash = line.find('/');
        if (slash == std::string::npos) continue;
        std::string file = line.substr(slash);
        if (file.find(".so") != std::string::npos) files.insert(file);
    }
    return files.size();
}

size_t open_fds() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            long kib = 0;
            status >> kib;
            return kib;
        }
        std::getline(status, key);
    }
    return -1;
}

}  // namespace zzp::abi_test
