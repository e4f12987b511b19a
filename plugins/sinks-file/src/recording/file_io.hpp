// Thin POSIX file helpers with errors that name the path and say what failed.
#pragma once

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace zzp::rec {

class IoError : public std::runtime_error {
public:
    IoError(int error, const std::string& path, const std::string& what);
    int error() const { return error_; }
    const std::string& path() const { return path_; }
    // Disk full or over quota: the sink keeps its data and retries.
    bool no_space() const { return error_ == ENOSPC || error_ == EDQUOT; }

private:
    int error_;
    std::string path_;
};

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset();

private:
    int fd_ = -1;
};

// Write all of `data` at `offset` (retrying short writes and EINTR); throws IoError.
void pwrite_all(int fd, const std::string& path, const void* data, size_t size, uint64_t offset);
// Read exactly `size` bytes at `offset`; false at end of file. Throws IoError on errors.
bool pread_all(int fd, const std::string& path, void* data, size_t size, uint64_t offset);
uint64_t file_size(int fd, const std::string& path);
// fsync a directory so a created or removed entry survives a power cut.
void sync_directory(const std::string& dir);
// Create a directory and its parents (like mkdir -p); throws IoError naming the path.
void make_directories(const std::string& dir);
std::string read_whole_file(const std::string& path);

}  // namespace zzp::rec
