#include "data_source.hpp"

#include <time.h>

namespace zzp::viewer {

int64_t mono_now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string HostInfo::label() const {
    std::string s = name;
    if (!address.empty() && address != name) s += " (" + address + ")";
    if (!method.empty()) s += " " + method;
    return s;
}

}  // namespace zzp::viewer
