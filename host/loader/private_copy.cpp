#include "loader/private_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

namespace zzp::host {
namespace fs = std::filesystem;
namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

// mkdir -m 0700, accepting an existing directory only if it is ours, private and not a symlink
// (/tmp is shared: another user could have planted the name).
bool make_owned_dir(const fs::path& dir, std::string* error) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        *error = "cannot create " + dir.string() + ": " + errno_text(errno);
        return false;
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        *error = "cannot inspect " + dir.string() + ": " + errno_text(errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
        *error = dir.string() + " exists but is not a private directory owned by this user";
        return false;
    }
    return true;
}

bool usable_runtime_dir(const char* value) {
    if (value == nullptr || value[0] != '/') return false;
    struct stat st {};
    return ::stat(value, &st) == 0 && S_ISDIR(st.st_mode) && ::access(value, W_OK | X_OK) == 0;
}

std::mutex dir_mutex;

}  // namespace

std::optional<fs::path> private_copy_dir(std::string* error) {
    std::lock_guard lock(dir_mutex);
    std::string pid = std::to_string(::getpid());
    fs::path dir;
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); usable_runtime_dir(runtime)) {
        dir = fs::path(runtime) / ("zzprobe-" + pid);
    } else {
        fs::path base = fs::path("/tmp") / ("zzprobe-" + std::to_string(::geteuid()));
        if (!make_owned_dir(base, error)) return std::nullopt;
        dir = base / pid;
    }
    if (!make_owned_dir(dir, error)) return std::nullopt;
    return dir;
}

std::optional<fs::path> make_private_copy(const fs::path& original, uint64_t generation, std::string* error) {
    auto dir = private_copy_dir(error);
    if (!dir) return std::nullopt;
    fs::path copy = *dir / ("gen" + std::to_string(generation) + "-" + original.filename().string());

    int in = ::open(original.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        *error = "cannot read " + original.string() + ": " + errno_text(errno);
        return std::nullopt;
    }
    // A leftover of a crashed process that had our pid may exist: the name is ours now.
    ::unlink(copy.c_str());
    int out = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0500);
    if (out < 0) {
        *error = "cannot create the private copy " + copy.string() + ": " + errno_text(errno);
        ::close(in);
        return std::nullopt;
    }
    char buffer[64 * 1024];
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(in, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *error = "cannot read " + original.string() + ": " + errno_text(errno);
            ok = false;
            break;
        }
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out, buffer + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                *error = "cannot write the private copy " + copy.string() + ": " + errno_text(errno);
                ok = false;
                break;
            }
            done += w;
        }
        if (!ok) break;
    }
    ::close(in);
    if (::close(out) != 0 && ok) {
        *error = "cannot write the private copy " + copy.string() + ": " + errno_text(errno);
        ok = false;
    }
    if (!ok) {
        ::unlink(copy.c_str());
        return std::nullopt;
    }
    return copy;
}

void remove_private_copy(const fs::path& copy) {
    std::lock_guard lock(dir_mutex);
    ::unlink(copy.c_str());
    ::rmdir(copy.parent_path().c_str());  // fails harmlessly while other copies remain
}

bool is_mapped(const fs::path& file) {
    std::ifstream maps("/proc/self/maps");
    const std::string name = file.string();
    const std::string deleted = name + " (deleted)";
    std::string line;
    while (std::getline(maps, line)) {
        // address perms offset dev inode pathname — the path starts after the 5th field.
        size_t pos = 0;
        for (int field = 0; field < 5 && pos != std::string::npos; ++field) {
            pos = line.find(' ', pos);
            if (pos != std::string::npos) pos = line.find_first_not_of(' ', pos);
        }
        if (pos == std::string::npos) continue;
        std::string_view path(line.data() + pos, line.size() - pos);
        if (path == name || path == deleted) return true;
    }
    return false;
}

}  // namespace zzp::host
