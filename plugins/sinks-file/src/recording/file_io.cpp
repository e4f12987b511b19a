#include "file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace zzp::rec {

IoError::IoError(int error, const std::string& path, const std::string& what)
    : std::runtime_error(path + ": " + what + ": " + std::strerror(error)), error_(error), path_(path) {}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}
Fd::~Fd() { reset(); }
void Fd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

MappedFile::MappedFile(int fd, const std::string& path, uint64_t size) {
    if (size == 0) return;
    void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) throw IoError(errno, path, "cannot map the recording into memory");
    // Opening reads a few scattered pages (header, footer, pyramid): no read-around of 128 KiB
    // at each of them. Sequential chunk reads ask for read-ahead with will_need().
    ::madvise(p, static_cast<size_t>(size), MADV_RANDOM);
    data_ = static_cast<const char*>(p);
    size_ = size;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
    if (this != &o) {
        if (data_) ::munmap(const_cast<char*>(data_), static_cast<size_t>(size_));
        data_ = o.data_;
        size_ = o.size_;
        o.data_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), static_cast<size_t>(size_));
}

void MappedFile::will_need(uint64_t offset, uint64_t size) const {
    if (!data_ || offset >= size_) return;
    // madvise wants a page-aligned start.
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t start = offset / page * page;
    uint64_t end = std::min(size_, offset + size);
    ::madvise(const_cast<char*>(data_) + start, static_cast<size_t>(end - start), MADV_WILLNEED);
}

void MappedFile::drop_resident() const {
    if (data_) ::madvise(const_cast<char*>(data_), static_cast<size_t>(size_), MADV_DONTNEED);
}

void pwrite_all(int fd, const std::string& path, const void* data, size_t size, uint64_t offset) {
    auto p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(errno, path, "cannot write " + std::to_string(size) + " bytes at offset " + std::to_string(offset));
        }
        if (n == 0) throw IoError(ENOSPC, path, "write made no progress at offset " + std::to_string(offset));
        p += n;
        size -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
}

bool pread_all(int fd, const std::string& path, void* data, size_t size, uint64_t offset) {
    auto p = static_cast<char*>(data);
    while (size > 0) {
        ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(errno, path, "cannot read at offset " + std::to_string(offset));
        }
        if (n == 0) return false;
        p += n;
        size -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
    return true;
}

uint64_t file_size(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw IoError(errno, path, "cannot stat");
    return static_cast<uint64_t>(st.st_size);
}

void sync_directory(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw IoError(errno, dir, "cannot open directory to sync it");
    if (::fsync(fd.get()) != 0 && errno != EINVAL) throw IoError(errno, dir, "cannot sync directory");
}

void make_directories(const std::string& dir) {
    if (dir.empty()) return;
    std::string partial;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        partial = dir.substr(0, pos);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
            throw IoError(errno, partial, "cannot create the recording directory");
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw IoError(errno, dir, "cannot use the recording directory");
    if (!S_ISDIR(st.st_mode)) throw IoError(ENOTDIR, dir, "the recording directory is not a directory");
}

std::string read_whole_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw IoError(errno, path, "cannot open");
    uint64_t size = file_size(fd.get(), path);
    std::string out(size, '\0');
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::pread(fd.get(), out.data() + got, size - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError(errno, path, "cannot read");
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

}  // namespace zzp::rec
