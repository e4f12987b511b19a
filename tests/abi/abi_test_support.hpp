// Helpers shared by the ABI tests: where the test plugins are, temporary directories, marker
// files, captured host log lines, and process resource counts from /proc.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/log.hpp"

namespace zzp::abi_test {

// The built test plugin "zzp-abi-<name>.so".
std::filesystem::path plugin(const std::string& name);

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Sets ZZP_MARKER to a file in a temp dir for the scope; test plugins create it when their code
// runs where it must not.
class Marker {
public:
    Marker();
    ~Marker();
    bool exists() const;
    const std::filesystem::path& path() const { return file_; }

private:
    TempDir dir_;
    std::filesystem::path file_;
};

// Captures the host's log lines for the scope.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    std::vector<std::string> lines() const;
    bool contains(const std::string& text) const;

private:
    static void sink(host::LogLevel, std::string_view line, void* self);
    std::vector<std::string> lines_;
};

// Distinct files mapped into this process that end in ".so" (or ".so (deleted)").
size_t mapped_shared_objects();
// Open file descriptors of this process.
size_t open_fds();
// Resident set size, KiB.
long rss_kib();

}  // namespace zzp::abi_test
