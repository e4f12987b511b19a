#include "open_probe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "recording/recording.hpp"

namespace zzp::bench {
namespace {

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
// A /proc/self/status field in MB (VmRSS, VmHWM).
double status_mb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::strlen(field) + 1)) / 1024.0;
    return -1;
}

}  // namespace

int open_probe(const std::string& dir, const std::string& label) {
    using namespace zzp::rec;
    const double rss0 = status_mb("VmRSS:");
    const double w0 = wall_seconds(), c0 = cpu_seconds();
    try {
        Recording rec({dir});
        const double w_open = wall_seconds(), c_open = cpu_seconds();
        uint64_t frames = 0;
        for (size_t s = 0; s < rec.series().size(); ++s) {
            int64_t interval = rec.series()[s].meta.interval_ns;
            for (const auto& col : rec.columns(s, rec.t_first(), rec.t_last() + interval, 1000)) frames += col.frames;
        }
        const double w_end = wall_seconds(), c_end = cpu_seconds();
        const double rss1 = status_mb("VmRSS:"), hwm = status_mb("VmHWM:");
        // The pyramid as the query left it in memory: the levels it used (2..4 for a month).
        uint64_t nodes = 0;
        std::map<int, size_t> modes;
        for (const auto& f : rec.files()) {
            ++modes[static_cast<int>(f->open_stats().mode)];
            for (const auto& t : f->targets())
                for (int level = 2; level <= kPyramidLevels; ++level) nodes += f->level_nodes(t.id, level).size();
        }
        const double pyramid_mb = static_cast<double>(nodes * sizeof(Summary)) / 1e6;
        std::printf("  %-5s open %zu files %.3f s (%.3f s CPU) + 1000-column query x %zu targets %.3f s (%.3f s CPU) "
                    "= %.3f s; %llu frames covered; files by footer/checkpoint/scan %zu/%zu/%zu\n",
                    label.c_str(), rec.files().size(), w_open - w0, c_open - c0, rec.series().size(), w_end - w_open,
                    c_end - c_open, w_end - w0, static_cast<unsigned long long>(frames), modes[0], modes[1], modes[2]);
        std::printf("  %-5s resident memory %.1f MB after (%.1f MB before opening, peak %.1f MB); pyramid in memory "
                    "%.1f MB (%llu nodes of levels 2-4)\n",
                    label.c_str(), rss1, rss0, hwm, pyramid_mb, static_cast<unsigned long long>(nodes));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "open probe: %s\n", e.what());
        return 2;
    }
    return 0;
}

double drop_from_page_cache(const std::vector<std::string>& files) {
    const long page = ::sysconf(_SC_PAGESIZE);
    uint64_t total = 0, resident = 0;
    for (const auto& path : files) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        off_t size = ::lseek(fd, 0, SEEK_END);
        if (size > 0) {
            void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
            if (p != MAP_FAILED) {
                size_t pages = (static_cast<size_t>(size) + static_cast<size_t>(page) - 1) / static_cast<size_t>(page);
                std::vector<unsigned char> in(pages);
                if (::mincore(p, static_cast<size_t>(size), in.data()) == 0)
                    for (unsigned char b : in) resident += b & 1;
                total += pages;
                ::munmap(p, static_cast<size_t>(size));
            }
        }
        ::close(fd);
    }
    return total ? static_cast<double>(resident) / static_cast<double>(total) : 0;
}

int run_self(const std::vector<std::string>& args) {
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        std::vector<char*> argv;
        static char self[] = "zzp-bench-recorder";
        argv.push_back(self);
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        std::_Exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace zzp::bench
