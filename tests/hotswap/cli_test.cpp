// End to end through the executable: `zzprobe run` with its control socket and plugin watcher,
// `zzprobe status` and `zzprobe swap` as clients, then SIGTERM and the recording checked.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "swap_harness.hpp"

namespace zzp::hotswap_test {
namespace {

std::string q(const fs::path& p) { return "\"" + p.string() + "\""; }

struct Child {
    pid_t pid = -1;
    FILE* err = nullptr;  // its stderr (the log)
    std::string log;
    // Reads log lines until one contains `text` (blocking reads; the child's log is the clock).
    bool wait_for(const std::string& text) {
        char line[4096];
        while (std::fgets(line, sizeof line, err)) {
            log += line;
            if (std::string(line).find(text) != std::string::npos) return true;
        }
        return false;
    }
};

Child spawn(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    Child c;
    c.pid = fork();
    if (c.pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    c.err = fdopen(fds[0], "r");
    return c;
}

std::string run_client(const std::string& command, int* status) {
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = pclose(p);
    return out;
}

TEST(HotSwapCli, RunServesStatusAndSwapAndFollowsTheWatcher) {
    TempDir tmp;
    const fs::path plugdir = tmp.path / "plugins";
    fs::create_directories(plugdir);
    const fs::path live = plugdir / "zzp-hs-rec.so";
    fs::copy_file(test_plugin("zzp-hs-rec-a.so"), live);
    const fs::path out = tmp.path / "rec.txt";
    const fs::path sock = tmp.path / "ctl" / "zzprobe.sock";
    const fs::path config = tmp.path / "pipeline.toml";
    std::ofstream(config) << "[host]\nplugin_dirs = [" << q(ZZP_PLUGIN_OUTPUT_DIR) << "]\ncontrol_socket = " << q(sock)
                          << "\nsettle_timeout = \"1s\"\n"
                             // The command line's --swap-probation overrides the first; the second applies.
                             "swap_probation = \"1h\"\nswap_probation_batches = 5\n"
                             "[[probe]]\nid = \"synth\"\nplugin = \"synthetic\"\ntargets = [\"t1\"]\nrate = 200.0\n"
                             "[[sink]]\nid = \"rec\"\nplugin = "
                          << q(live) << "\npath = " << q(out) << "\n";
    Child c = spawn({ZZP_HOST_EXE, "run", "-c", config.string(), "--duration", "60s", "--swap-probation", "200ms"});
    ASSERT_GT(c.pid, 0);
    ASSERT_TRUE(c.wait_for("control socket")) << c.log;
    EXPECT_EQ(fs::status(sock).permissions() & fs::perms::others_all, fs::perms::none);

    int st = 0;
    // The highest batch the recorder took, from `status`; waits (generously: batches may come
    // only every [host] batch_delay, on a loaded machine later) until it passes `after`, so
    // every generation records something and shows in the file.
    auto took_batch_after = [&](uint64_t after) {
        for (int i = 0; i < 200; ++i) {
            int code = 0;
            std::string text = run_client(std::string(ZZP_HOST_EXE) + " status --socket " + sock.string(), &code);
            auto at = text.find("last_seq=");
            uint64_t seq = at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + 9, nullptr, 10);
            if (seq > after) return seq;
            usleep(50'000);
        }
        return uint64_t{0};
    };
    uint64_t taken = took_batch_after(0);
    ASSERT_GT(taken, 0u) << "the recorder never took a batch";
    std::string s = run_client(std::string(ZZP_HOST_EXE) + " status --socket " + sock.string(), &st);
    EXPECT_EQ(WEXITSTATUS(st), 0) << s;
    EXPECT_NE(s.find("instance\trec\tkind=sink"), std::string::npos) << s;
    EXPECT_NE(s.find("version=a"), std::string::npos) << s;

    // Explicit swap through the socket.
    s = run_client(std::string(ZZP_HOST_EXE) + " swap --socket " + sock.string() + " rec " +
                       test_plugin("zzp-hs-rec-b.so").string(), &st);
    EXPECT_EQ(WEXITSTATUS(st), 0) << s;
    EXPECT_NE(s.find("active"), std::string::npos) << s;
    EXPECT_NE(s.find("probation 0.200s or 5 batches"), std::string::npos) << "[host] probation keys and the CLI: " << s;
    ASSERT_TRUE(c.wait_for("probation of gen")) << c.log;
    ASSERT_GT(taken = took_batch_after(taken), 0u) << "b never took a batch";
    // A refused one exits 1 with the reason.
    s = run_client(std::string(ZZP_HOST_EXE) + " swap --socket " + sock.string() + " rec " +
                       test_plugin("zzp-hs-rec-format2.so").string(), &st);
    EXPECT_EQ(WEXITSTATUS(st), 1) << s;
    EXPECT_NE(s.find("state format mismatch"), std::string::npos) << s;

    // The watcher: rename a rebuilt file over the one the instance was loaded from. The instance
    // now runs b from another path, so first swap back to the live path, then install over it.
    s = run_client(std::string(ZZP_HOST_EXE) + " swap --socket " + sock.string() + " rec " + live.string(), &st);
    EXPECT_EQ(WEXITSTATUS(st), 0) << s;
    ASSERT_TRUE(c.wait_for("probation of gen")) << c.log;
    ASSERT_GT(taken = took_batch_after(taken), 0u) << "a never took a batch after the swap back";
    fs::copy_file(test_plugin("zzp-hs-rec-b.so"), plugdir / ".new.so");
    fs::rename(plugdir / ".new.so", live);
    ASSERT_TRUE(c.wait_for("probation of gen")) << c.log;
    s = run_client(std::string(ZZP_HOST_EXE) + " status --socket " + sock.string(), &st);
    EXPECT_NE(s.find("version=b"), std::string::npos) << s;
    EXPECT_NE(s.find("done=3"), std::string::npos) << s;
    EXPECT_GT(took_batch_after(taken), 0u) << "the watcher's b never took a batch";

    kill(c.pid, SIGTERM);
    while (c.wait_for("\n")) {
    }
    int status = 0;
    waitpid(c.pid, &status, 0);
    fclose(c.err);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << c.log;
    EXPECT_FALSE(fs::exists(sock)) << "the socket is removed at exit";

    auto samples = read_test_recording(out);
    std::set<std::pair<uint32_t, uint64_t>> seen;
    uint64_t dups = 0, max_seq = 0;
    std::vector<std::string> versions;
    for (const auto& r : samples) {
        if (!settles(r.status)) continue;
        dups += !seen.insert({r.target, r.seq}).second;
        max_seq = std::max(max_seq, r.seq);
        if (versions.empty() || versions.back() != r.version) versions.push_back(r.version);
    }
    EXPECT_EQ(dups, 0u);
    EXPECT_EQ(seen.size(), max_seq) << "no gap";
    EXPECT_EQ(versions, (std::vector<std::string>{"a", "b", "a", "b"}));
}

}  // namespace
}  // namespace zzp::hotswap_test
