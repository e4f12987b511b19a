// Test-created network namespaces: named with the pid, deleted at the end, entered in-process
// with setns (threads started while inside inherit the namespace, so the probe's sockets live
// there). Nothing here touches the machine's own namespace.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace zzp::icmp::test {

inline bool sh(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

class NetNs {
public:
    explicit NetNs(const std::string& tag) : name_("zzpicmp-" + std::to_string(getpid()) + "-" + tag) {
        ok_ = sh("ip netns add " + name_) && sh("ip -n " + name_ + " link set lo up");
    }
    ~NetNs() {
        if (ok_) sh("ip netns del " + name_);
    }
    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }
    bool exec(const std::string& command) const { return sh("ip netns exec " + name_ + " " + command); }
    bool sysctl(const std::string& setting) const { return exec("sysctl -qw " + setting); }

private:
    std::string name_;
    bool ok_ = false;
};

// Moves the calling thread into a namespace until destroyed.
class EnterNetNs {
public:
    explicit EnterNetNs(const NetNs& ns) {
        original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int target = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
        if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
            if (target >= 0) close(target);
            throw std::runtime_error("cannot enter namespace " + ns.name());
        }
        close(target);
    }
    ~EnterNetNs() {
        if (setns(original_, CLONE_NEWNET) != 0) std::abort();  // never continue in the wrong namespace
        close(original_);
    }

private:
    int original_ = -1;
};

#define ZZP_REQUIRE_NETNS(ns) \
    if (!(ns).ok()) GTEST_SKIP() << "cannot create network namespaces here (needs root and `ip netns`)"

}  // namespace zzp::icmp::test
