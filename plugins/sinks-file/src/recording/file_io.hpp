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

// A read-only, private memory map of a file's first `size` bytes. The reader maps each file
// once instead of reading records with pread: opening a closed file then touches only the pages
// of its header, footer and pyramid, and a chunk decodes straight from the page cache with no
// copy. Readers only touch bytes they know are complete records (a writer may cut a torn tail,
// and touching a page past the end of a file is SIGBUS).
class MappedFile {
public:
    MappedFile() = default;
    // Maps [0, size) of `fd`; an empty map when size is 0. Throws IoError when mmap fails.
    MappedFile(int fd, const std::string& path, uint64_t size);
    MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
    MappedFile& operator=(MappedFile&& o) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();
    const char* data() const { return data_; }
    uint64_t size() const { return size_; }
    explicit operator bool() const { return data_ != nullptr; }
    // Ask the kernel to read [offset, offset + size) ahead (the map is otherwise MADV_RANDOM, so
    // opening reads only the pages it touches). Best effort.
    void will_need(uint64_t offset, uint64_t size) const;
    // Unmap the pages this process has touched (they stay in the page cache; a later read faults
    // them back in without I/O): a reader of hundreds of files keeps its resident set to what it
    // decoded, not every page it ever read. The map is read-only and private, so nothing is lost.
    void drop_resident() const;

private:
    const char* data_ = nullptr;
    uint64_t size_ = 0;
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
