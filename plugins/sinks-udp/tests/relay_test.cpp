// The receiving side as a relay: FrameRelay (remote ids -> local ids, frames held until their
// target is known, repeats after a re-subscription dropped) and, end to end, two real hosts on
// loopback: host A (synthetic probe -> udp-stream sink, with a secret) and host B
// (udp-stream-source -> udp-stream sink). What B streams must be what A streamed, frame for
// frame, with B's own target ids.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "frame_relay.hpp"
#include "loopback_port.hpp"
#include "test_helpers.hpp"

extern char** environ;

using namespace zzp::stream;
using namespace zzp::stream::test;
using namespace std::chrono_literals;

namespace {

zzp_frame relay_frame(uint32_t target, int64_t start, uint32_t revision, bool final) {
    return make_frame(target, start, revision, final);
}

struct RelayHarness {
    std::map<std::pair<std::string, std::string>, uint32_t> interned;
    std::vector<zzp_frame> published;
    int publishes = 0;
    FrameRelay relay{[this](const std::string& name, const std::string& address) {
                         auto [it, inserted] = interned.emplace(std::make_pair(name, address),
                                                                static_cast<uint32_t>(interned.size() + 100));
                         (void)inserted;
                         return it->second;
                     },
                     [this](const zzp_frame* f, size_t n) {
                         ++publishes;
                         published.insert(published.end(), f, f + n);
                     }};
};

TargetRecord target(uint32_t id, std::string name, std::string probe = "p") {
    TargetRecord t;
    t.id = id;
    t.name = std::move(name);
    t.address = "192.0.2.1";
    t.method = "icmp";
    t.probe = std::move(probe);
    t.interval_ns = kInterval;
    return t;
}

}  // namespace

TEST(FrameRelay, MapsRemoteTargetIdsAndHoldsFramesUntilTheirTargetIsKnown) {
    RelayHarness h;
    const int64_t t0 = 1'700'000'000'000'000'000;
    h.relay.on_frame(relay_frame(7, t0, 1, true));  // its target record was lost, repaired later
    h.relay.flush();
    EXPECT_TRUE(h.published.empty());
    EXPECT_EQ(h.relay.counters().frames_held, 1u);
    h.relay.on_target(target(7, "router"));
    h.relay.on_frame(relay_frame(7, t0 + kInterval, 0, false));
    h.relay.flush();
    ASSERT_EQ(h.published.size(), 2u);
    EXPECT_EQ(h.publishes, 1);  // one call per flush
    const uint32_t local = h.interned.at({"router", "192.0.2.1"});
    for (const zzp_frame& f : h.published) EXPECT_EQ(f.target_id, local);
    zzp_frame expected = relay_frame(7, t0, 1, true);
    expected.target_id = local;
    EXPECT_EQ(std::memcmp(&h.published[0], &expected, sizeof expected), 0);
    EXPECT_EQ(h.relay.counters().frames_held, 0u);
}

TEST(FrameRelay, DropsWhatItPassedOnAlreadyButKeepsNewerRevisions) {
    RelayHarness h;
    const int64_t t0 = 1'700'000'000'000'000'000;
    h.relay.on_target(target(1, "router"));
    h.relay.on_frame(relay_frame(1, t0, 0, false));
    h.relay.on_frame(relay_frame(1, t0, 1, false));
    h.relay.on_frame(relay_frame(1, t0, 1, false));  // repeat
    h.relay.on_frame(relay_frame(1, t0, 0, false));  // older revision after a newer one
    h.relay.on_frame(relay_frame(1, t0, 2, true));
    h.relay.on_frame(relay_frame(1, t0, 2, true));   // a re-subscription's history repeats it
    h.relay.on_frame(relay_frame(1, t0, 3, false));  // nothing follows a final
    h.relay.flush();
    ASSERT_EQ(h.published.size(), 3u);
    EXPECT_EQ(h.published[2].flags & ZZP_FRAME_F_FINAL, ZZP_FRAME_F_FINAL);
    EXPECT_EQ(h.relay.counters().duplicates_dropped, 4u);
    h.relay.flush();
    EXPECT_EQ(h.publishes, 1);  // nothing new: no call
}

TEST(FrameRelay, SameNameAndAddressFromTwoRemoteProbesStayTwoTargets) {
    RelayHarness h;
    h.relay.on_target(target(1, "router", "icmp-1"));
    h.relay.on_target(target(2, "router", "udp-1"));
    h.relay.on_target(target(1, "router", "icmp-1"));  // repeated record: same local target
    EXPECT_EQ(h.interned.size(), 2u);
    EXPECT_TRUE(h.interned.count({"router", "192.0.2.1"}));
    EXPECT_TRUE(h.interned.count({"udp-1/router", "192.0.2.1"}));
    EXPECT_EQ(h.relay.counters().targets, 2u);
}

// ---- two hosts --------------------------------------------------------------------------------

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// One `zzprobe run` process, output to a file; SIGTERM and a bounded wait on destruction.
class Host {
public:
    Host(const std::string& dir, const std::string& name, const std::string& config) {
        config_ = dir + "/" + name + ".toml";
        log_ = dir + "/" + name + ".log";
        std::ofstream(config_) << config;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<std::string> args = {ZZP_HOST_EXE, "run", "-c", config_, "--no-watch", "--duration", "120s",
                                         "-P", ZZP_PLUGIN_OUTPUT_DIR};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, ZZP_HOST_EXE, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Host() { stop(); }
    bool running() const { return pid_ > 0; }
    // SIGTERM, then wait (generously: sanitizer builds are slow); returns the exit status.
    int stop() {
        if (pid_ <= 0) return exit_code_;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 600; ++i) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return exit_code_;
            }
            std::this_thread::sleep_for(50ms);
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return exit_code_ = 137;
    }
    std::string log() const { return read_file(log_); }

private:
    std::string config_, log_;
    pid_t pid_ = -1;
    int exit_code_ = -1;
};

// Final frames by (target name, interval start), target ids cleared: comparable across hosts.
std::map<std::pair<std::string, int64_t>, zzp_frame> finals_by_name(const Collector& c) {
    std::map<std::pair<std::string, int64_t>, zzp_frame> out;
    auto targets = c.targets();
    for (auto [key, f] : c.latest()) {
        if (!(f.flags & ZZP_FRAME_F_FINAL)) continue;
        auto t = targets.find(key.first);
        std::string name = t == targets.end() ? "#" + std::to_string(key.first) : t->second.name;
        f.target_id = 0;
        out[{name, f.start_wall_ns}] = f;
    }
    return out;
}

using Finals = std::map<std::pair<std::string, int64_t>, zzp_frame>;
bool same_finals(const Finals& a, const Finals& b) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, f] : a) {
        auto it = b.find(k);
        if (it == b.end() || !same_frame(it->second, f)) return false;
    }
    return true;
}

}  // namespace

TEST(StreamRelay, HostBRelaysWhatHostAMeasuresFrameForFrame) {
    char dir_template[] = "/tmp/zzp-relay-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    const std::string secret = dir + "/stream.secret";
    std::ofstream(secret) << "relay-test-secret-0123456789abcdef\n";
    chmod(secret.c_str(), 0600);
    const uint16_t port_a = zzp::test::free_loopback_port(), port_b = zzp::test::free_loopback_port();

    Host a(dir, "a", R"(
[[probe]]
id = "synth"
plugin = "synthetic"
targets = ["router", "isp", "game-server"]
rate = 50.0
loss = 0.05
timeout = "300ms"
seed = 11

[[sink]]
id = "live"
plugin = "udp-stream"
listen = "127.0.0.1:)" + std::to_string(port_a) + R"("
secret_file = ")" + secret + R"("
)");
    ASSERT_TRUE(a.running());
    // The reference: what A's sink streams, seen by an ordinary (authenticated) viewer.
    Collector from_a;
    auto key = std::make_shared<AuthKey>(load_secret_file(secret));
    auto client_a = make_client(port_a, from_a, key);
    client_a->start();
    ASSERT_TRUE(client_a->wait_for([](const ClientStats& s) { return s.subscribed; }, 20s)) << a.log();

    Host b(dir, "b", R"(
[[probe]]
id = "remote"
plugin = "udp-stream-source"
connect = "127.0.0.1:)" + std::to_string(port_a) + R"("
secret_file = ")" + secret + R"("
history = "1h"

[[sink]]
id = "live"
plugin = "udp-stream"
listen = "127.0.0.1:)" + std::to_string(port_b) + R"("
)");
    ASSERT_TRUE(b.running());
    Collector from_b;
    auto client_b = make_client(port_b, from_b);
    client_b->start();
    ASSERT_TRUE(client_b->wait_for([](const ClientStats& s) { return s.subscribed; }, 20s)) << b.log();

    // Let A measure for a while (B joins late: its history request back-fills the start), then
    // stop A: its last frames are finalised at stop and must cross the relay too.
    ASSERT_TRUE(eventually([&] { return finals_by_name(from_a).size() >= 60; }, 30s)) << a.log();
    EXPECT_EQ(a.stop(), 0) << a.log();
    client_a->stop();
    const auto expected = finals_by_name(from_a);
    ASSERT_GE(expected.size(), 60u);

    bool same = eventually([&] { return same_finals(finals_by_name(from_b), expected); }, 20s);
    auto got = finals_by_name(from_b);
    client_b->stop();
    EXPECT_EQ(b.stop(), 0) << b.log();
    EXPECT_TRUE(same) << "A streamed " << expected.size() << " final frames, B " << got.size() << "\n" << b.log();
    for (const auto& [k, f] : expected) {
        auto it = got.find(k);
        if (it == got.end()) {
            ADD_FAILURE() << "missing at B: " << k.first << " @ " << k.second;
            break;
        }
        if (!same_frame(it->second, f)) {
            ADD_FAILURE() << "differs at B: " << k.first << " @ " << k.second;
            break;
        }
    }
    // B's targets carry A's names; B interned them under its own ids.
    std::set<std::string> names;
    for (const auto& [id, t] : from_b.targets()) names.insert(t.name);
    EXPECT_EQ(names, (std::set<std::string>{"router", "isp", "game-server"}));
    EXPECT_NE(b.log().find("relay stopped"), std::string::npos) << b.log();
    (void)!std::system(("rm -rf '" + dir + "'").c_str());
}
