// The "file" sink through its C ABI (dlopen of the built plugin) with FakeHost: rotation on the
// hour with an injected clock, restarts that never overwrite, retention, disk full and a
// read-only directory (backpressure, resume), hot-swap state, and a SIGKILLed writer.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fake_host.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "recording/file_io.hpp"
#include "recording/recording.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

namespace fs = std::filesystem;
using zzp::test::FakeConfig;
using zzp::test::FakeHost;

const int64_t kHour = 3600'000'000'000;
const int64_t k1300 = 1714568400'000'000'000;  // 2024-05-01T13:00:00Z

// One plugin instance loaded from the built .so, driven like the host drives it.
class SinkUnderTest {
public:
    SinkUnderTest(FakeHost& host, const std::string& toml) : config_(toml) {
        handle_ = ::dlopen(ZZP_PLUGIN_OUTPUT_DIR "/zzp-file.so", RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error(::dlerror());
        auto entry = reinterpret_cast<zzp_plugin_entry_fn>(::dlsym(handle_, "zzp_plugin_entry_v1"));
        lib_ = entry();
        zzp_host_info info{sizeof(zzp_host_info), 1, 0, 0, "test", "0"};
        err_.struct_size = sizeof err_;
        if (lib_->init(&info, &err_) != ZZP_OK) throw std::runtime_error(err_.message);
        plugin_ = lib_->create("file", host.table(), &err_);
        if (!plugin_) throw std::runtime_error(err_.message);
        sink_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
        state_ = static_cast<const zzp_state_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_STATE));
        configure_status_ = plugin_->configure(plugin_, config_.table(), &err_);
    }
    ~SinkUnderTest() {
        if (plugin_) plugin_->destroy(plugin_);
        if (lib_) lib_->deinit();
        if (handle_) ::dlclose(handle_);
    }
    zzp_status configure_status() const { return configure_status_; }
    zzp_status start() { return plugin_->start(plugin_, &err_); }
    zzp_status stop() { return plugin_->stop(plugin_, INT64_MAX, &err_); }
    void target(uint32_t id, const char* name) {
        zzp_target_info t{sizeof(zzp_target_info), id, name, "127.0.0.1", "icmp", "probe", test::kInterval};
        ASSERT_EQ(sink_->on_target(plugin_, &t, &err_), ZZP_OK);
    }
    zzp_status frames(uint64_t seq, const std::vector<zzp_frame>& f) {
        zzp_batch b{seq, ZZP_BATCH_FRAMES, static_cast<uint32_t>(f.size()), nullptr, f.data()};
        return sink_->write(plugin_, &b, &err_);
    }
    zzp_status samples(uint64_t seq, const std::vector<zzp_sample>& s) {
        zzp_batch b{seq, ZZP_BATCH_SAMPLES, static_cast<uint32_t>(s.size()), s.data(), nullptr};
        return sink_->write(plugin_, &b, &err_);
    }
    zzp_status flush() { return sink_->flush(plugin_, &err_); }
    uint64_t durable() { return sink_->durable_seq(plugin_); }
    uint32_t accepts() const { return sink_->accepts; }
    std::string save() {
        std::string out;
        zzp_ostream os{sizeof(zzp_ostream), 0, &out, [](const zzp_ostream* s, const void* d, uint64_t n) {
                           static_cast<std::string*>(s->host_data)->append(static_cast<const char*>(d), n);
                           return ZZP_OK;
                       }};
        EXPECT_EQ(state_->save(plugin_, &os, &err_), ZZP_OK) << err_.message;
        return out;
    }
    zzp_status load(const std::string& bytes) {
        struct Cursor {
            const std::string* s;
            size_t pos;
        } c{&bytes, 0};
        zzp_istream is{sizeof(zzp_istream), 0, &c, [](const zzp_istream* s, void* buf, uint64_t n) -> int64_t {
                           auto* cur = static_cast<Cursor*>(s->host_data);
                           size_t k = std::min<size_t>(n, cur->s->size() - cur->pos);
                           std::memcpy(buf, cur->s->data() + cur->pos, k);
                           cur->pos += k;
                           return static_cast<int64_t>(k);
                       }};
        return state_->load(plugin_, state_->format, &is, &err_);
    }
    const zzp_error& error() const { return err_; }

private:
    FakeConfig config_;
    void* handle_ = nullptr;
    const zzp_plugin_library* lib_ = nullptr;
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* sink_ = nullptr;
    const zzp_state_ext* state_ = nullptr;
    zzp_error err_{};
    zzp_status configure_status_ = ZZP_E_INTERNAL;
};

std::vector<zzp_frame> frames_at(uint32_t target, int64_t t, size_t n, uint32_t seed) {
    return test::random_frames(target, t, n, seed);
}

std::vector<std::string> zzr_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".zzr") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string config(const std::string& dir, const std::string& extra = "") {
    return "directory = \"" + dir + "\"\n" + extra;
}

TEST(FileSink, RotatesExactlyOnTheHourWithAnInjectedClock) {
    test::ScratchDir dir;
    FakeHost host("rec");
    SinkUnderTest sink(host, config(dir.path() + "/sub/dir", "fsync_interval = \"1s\"\n"));
    ASSERT_EQ(sink.configure_status(), ZZP_OK) << sink.error().message;
    EXPECT_EQ(sink.accepts(), ZZP_ACCEPT_FRAMES_FINAL | ZZP_ACCEPT_SAMPLES);  // fixed at create: see README
    host.set_wall_ns(k1300 - 20'000'000'000);
    ASSERT_EQ(sink.start(), ZZP_OK);  // creates the missing folder
    sink.target(1, "a");
    // 12:59:50 .. 13:00:10, one batch per second, the clock a little behind the data.
    uint64_t seq = 0;
    for (int64_t s = -10; s < 10; ++s) {
        host.set_wall_ns(k1300 + s * 1'000'000'000 + 1'500'000'000);
        ASSERT_EQ(sink.frames(++seq, frames_at(1, k1300 + s * 1'000'000'000, 10, static_cast<uint32_t>(s + 100))), ZZP_OK);
    }
    host.set_wall_ns(k1300 + 30'000'000'000);
    ASSERT_EQ(sink.stop(), ZZP_OK);
    EXPECT_EQ(sink.durable(), seq);
    auto names = zzr_files(dir.path() + "/sub/dir");
    ASSERT_EQ(names, (std::vector<std::string>{"rec-20240501T120000Z.zzr", "rec-20240501T130000Z.zzr"}));
    FileReader before(dir.path() + "/sub/dir/" + names[0]), after(dir.path() + "/sub/dir/" + names[1]);
    EXPECT_TRUE(before.closed());
    EXPECT_TRUE(after.closed());
    auto a = before.all_frames(), b = after.all_frames();
    EXPECT_EQ(a.size(), 100u);
    EXPECT_EQ(b.size(), 100u);
    for (const auto& f : a) EXPECT_LT(f.start_wall_ns, k1300);
    for (const auto& f : b) EXPECT_GE(f.start_wall_ns, k1300);
}

TEST(FileSink, RestartInTheSameHourNeverOverwrites) {
    test::ScratchDir dir;
    FakeHost host("rec");
    host.set_wall_ns(k1300 + 60'000'000'000);
    {
        SinkUnderTest s1(host, config(dir.path()));
        ASSERT_EQ(s1.start(), ZZP_OK);
        s1.target(1, "a");
        ASSERT_EQ(s1.frames(1, frames_at(1, k1300, 50, 1)), ZZP_OK);
        ASSERT_EQ(s1.stop(), ZZP_OK);
    }
    std::string first = dir.file("rec-20240501T130000Z.zzr");
    std::string before = read_whole_file(first);
    {
        SinkUnderTest s2(host, config(dir.path()));
        ASSERT_EQ(s2.start(), ZZP_OK);
        s2.target(1, "a");
        ASSERT_EQ(s2.frames(1, frames_at(1, k1300 + 50 * test::kInterval, 50, 2)), ZZP_OK);
        ASSERT_EQ(s2.stop(), ZZP_OK);
    }
    EXPECT_EQ(read_whole_file(first), before);
    EXPECT_EQ(zzr_files(dir.path()), (std::vector<std::string>{"rec-20240501T130000Z-1.zzr", "rec-20240501T130000Z.zzr"}));
    Recording r({dir.path()});
    ASSERT_EQ(r.series().size(), 1u);
    EXPECT_EQ(r.aggregate(0, k1300, k1300 + kHour, 0).frames, 100u);
}

TEST(FileSink, RetentionRemovesOldAndOversizedClosedFiles) {
    test::ScratchDir dir;
    FakeHost host("rec");
    // Three closed hours of data, then a fourth hour with a 2-hour age limit.
    for (int h = 0; h < 3; ++h) {
        host.set_wall_ns(k1300 + h * kHour + 1'000'000'000);
        SinkUnderTest s(host, config(dir.path()));
        ASSERT_EQ(s.start(), ZZP_OK);
        s.target(1, "a");
        ASSERT_EQ(s.frames(1, frames_at(1, k1300 + h * kHour, 100, h)), ZZP_OK);
        ASSERT_EQ(s.stop(), ZZP_OK);
    }
    std::ofstream(dir.file("unrelated.txt")) << "not ours";
    ASSERT_EQ(zzr_files(dir.path()).size(), 3u);
    host.set_wall_ns(k1300 + 3 * kHour + 1'000'000'000);
    {
        SinkUnderTest s(host, config(dir.path(), "retain_age = \"2h\"\n"));
        ASSERT_EQ(s.start(), ZZP_OK);  // retention runs at start
        ASSERT_EQ(s.stop(), ZZP_OK);
    }
    // 13:00 ended at 14:00, older than 16:00:01 - 2h: removed. 14:00 and 15:00 stay.
    EXPECT_EQ(zzr_files(dir.path()), (std::vector<std::string>{"rec-20240501T140000Z.zzr", "rec-20240501T150000Z.zzr"}));
    EXPECT_TRUE(fs::exists(dir.file("unrelated.txt")));
    uint64_t newest = fs::file_size(dir.file("rec-20240501T150000Z.zzr"));
    {
        SinkUnderTest s(host, config(dir.path(), "retain_size = " + std::to_string(newest + 10) + "\n"));
        ASSERT_EQ(s.start(), ZZP_OK);
        ASSERT_EQ(s.stop(), ZZP_OK);
    }
    EXPECT_EQ(zzr_files(dir.path()), (std::vector<std::string>{"rec-20240501T150000Z.zzr"}));
}

// A tiny tmpfs of our own; skipped when mounting is not permitted.
class TinyMount {
public:
    explicit TinyMount(const std::string& options) {
        ok_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0;
        if (!ok_) why_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
    }
    ~TinyMount() {
        if (ok_) ::umount2(dir_.path().c_str(), MNT_DETACH);
    }
    bool ok() const { return ok_; }
    const std::string& why() const { return why_; }
    const std::string& path() const { return dir_.path(); }
    bool remount(unsigned long flags, const std::string& options) {
        return ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT | flags, options.c_str()) == 0;
    }

private:
    test::ScratchDir dir_;
    bool ok_ = false;
    std::string why_;
};

TEST(FileSink, DiskFullKeepsDataQueuedAndResumesWhenSpaceReturns) {
    TinyMount m("size=64k");
    if (!m.ok()) GTEST_SKIP() << m.why();
    FakeHost host("rec");
    SinkUnderTest sink(host, config(m.path(), "fsync_interval = \"0s\"\ncompression = 0\n"));
    host.set_wall_ns(k1300);
    ASSERT_EQ(sink.start(), ZZP_OK);
    sink.target(1, "a");
    // Incompressible-ish frames until the disk is full.
    uint64_t seq = 0;
    std::vector<std::vector<zzp_frame>> sent;
    zzp_status st = ZZP_OK;
    while (seq < 2000) {
        auto batch = frames_at(1, k1300 + static_cast<int64_t>(seq) * 100 * test::kInterval, 100, static_cast<uint32_t>(seq));
        st = sink.frames(seq + 1, batch);
        if (st != ZZP_OK) break;
        sent.push_back(batch);
        ++seq;
    }
    ASSERT_EQ(st, ZZP_E_RETRY) << "the 64 KiB disk never filled";
    uint64_t durable_when_full = sink.durable();
    EXPECT_LT(durable_when_full, seq + 1);
    bool named = false;
    for (const auto& l : host.logs()) named |= l.find(m.path()) != std::string::npos && l.find("No space") != std::string::npos;
    EXPECT_TRUE(named) << "no log line names the path and the cause";
    // Still full: the host retries the same batch and gets RETRY again, nothing taken.
    auto retry_batch = frames_at(1, k1300 + static_cast<int64_t>(seq) * 100 * test::kInterval, 100, static_cast<uint32_t>(seq));
    EXPECT_EQ(sink.frames(seq + 1, retry_batch), ZZP_E_RETRY);
    ASSERT_TRUE(m.remount(0, "size=4m"));
    ASSERT_EQ(sink.frames(seq + 1, retry_batch), ZZP_OK);
    sent.push_back(retry_batch);
    ++seq;
    ASSERT_EQ(sink.flush(), ZZP_OK);
    EXPECT_EQ(sink.durable(), seq);
    ASSERT_EQ(sink.stop(), ZZP_OK);
    Recording r({m.path()});
    size_t expected = 0;
    for (const auto& b : sent) expected += b.size();
    EXPECT_EQ(r.aggregate(0, INT64_MIN / 2, INT64_MAX / 2, 0).frames, expected);  // each exactly once
    for (const auto& f : r.files()) EXPECT_TRUE(scan_file(f->path(), true).clean) << f->path();
}

TEST(FileSink, ReadOnlyDirectoryIsRetriedUntilWritable) {
    TinyMount m("size=1m");
    if (!m.ok()) GTEST_SKIP() << m.why();
    ASSERT_TRUE(m.remount(MS_RDONLY, "size=1m"));
    FakeHost host("rec");
    SinkUnderTest sink(host, config(m.path() + "/recordings"));
    host.set_wall_ns(k1300);
    ASSERT_EQ(sink.start(), ZZP_OK);  // not fatal: the folder may become writable
    sink.target(1, "a");
    ASSERT_EQ(sink.frames(1, frames_at(1, k1300, 10, 1)), ZZP_OK);  // taken into memory
    EXPECT_NE(sink.flush(), ZZP_OK);
    EXPECT_NE(std::string(sink.error().message).find(m.path()), std::string::npos) << sink.error().message;
    EXPECT_EQ(sink.frames(2, frames_at(1, k1300 + 10 * test::kInterval, 10, 2)), ZZP_E_RETRY);
    EXPECT_EQ(sink.durable(), 0u);
    ASSERT_TRUE(m.remount(0, "size=1m"));
    EXPECT_EQ(sink.frames(2, frames_at(1, k1300 + 10 * test::kInterval, 10, 2)), ZZP_OK);
    ASSERT_EQ(sink.flush(), ZZP_OK);
    EXPECT_EQ(sink.durable(), 2u);
    ASSERT_EQ(sink.stop(), ZZP_OK);
    Recording r({m.path() + "/recordings"});
    EXPECT_EQ(r.aggregate(0, k1300, k1300 + kHour, 0).frames, 20u);
}

TEST(FileSink, HotSwapStateContinuesTheSameFileWithoutDuplicates) {
    test::ScratchDir dir;
    FakeHost host("rec");
    host.set_wall_ns(k1300 + 1'000'000'000);
    std::string state;
    std::vector<zzp_frame> batches[9];
    for (int i = 1; i <= 8; ++i) batches[i] = frames_at(1, k1300 + (i - 1) * 10 * test::kInterval, 10, i);
    {
        SinkUnderTest old_sink(host, config(dir.path(), "samples = true\n"));
        EXPECT_EQ(old_sink.accepts(), ZZP_ACCEPT_FRAMES_FINAL | ZZP_ACCEPT_SAMPLES);
        ASSERT_EQ(old_sink.start(), ZZP_OK);
        old_sink.target(1, "a");
        for (int i = 1; i <= 5; ++i) ASSERT_EQ(old_sink.frames(i, batches[i]), ZZP_OK);
        ASSERT_EQ(old_sink.stop(), ZZP_OK);
        EXPECT_EQ(old_sink.durable(), 5u);
        state = old_sink.save();
    }
    {
        SinkUnderTest successor(host, config(dir.path(), "samples = true\n"));
        ASSERT_EQ(successor.load(state), ZZP_OK) << successor.error().message;
        ASSERT_EQ(successor.start(), ZZP_OK);
        EXPECT_EQ(successor.durable(), 5u);
        // The host may resend from the first unacknowledged batch; 4 and 5 are already recorded.
        for (int i = 4; i <= 8; ++i) ASSERT_EQ(successor.frames(i, batches[i]), ZZP_OK);
        ASSERT_EQ(successor.stop(), ZZP_OK);
        EXPECT_EQ(successor.durable(), 8u);
    }
    ASSERT_EQ(zzr_files(dir.path()).size(), 1u) << "the successor started another file";
    FileReader r(dir.file(zzr_files(dir.path())[0]));
    EXPECT_TRUE(r.closed());
    auto frames = r.all_frames();
    EXPECT_EQ(frames.size(), 80u);
    std::set<int64_t> times;
    for (const auto& f : frames) times.insert(f.start_wall_ns);
    EXPECT_EQ(times.size(), 80u) << "duplicate frames";
    // The switch point is visible: chunks say which writer and batches they hold.
    std::vector<uint64_t> firsts;
    for (const auto& c : r.chunks()) {
        ChunkOrigin o;
        r.read_frames(c, &o);
        EXPECT_EQ(o.writer, "file 0.1.0");
        firsts.push_back(o.first_batch_seq);
    }
    EXPECT_EQ(firsts.back(), 6u);
}

TEST(FileSink, SamplesAreStoredWhenAsked) {
    test::ScratchDir dir;
    FakeHost host("rec");
    host.set_wall_ns(k1300);
    SinkUnderTest sink(host, config(dir.path(), "samples = true\nsample_time_resolution = \"1ns\"\n"));
    ASSERT_EQ(sink.start(), ZZP_OK);
    sink.target(1, "a");
    auto samples = test::random_samples(1, k1300, 500, 3, false);
    ASSERT_EQ(sink.samples(1, samples), ZZP_OK);
    ASSERT_EQ(sink.frames(2, frames_at(1, k1300, 10, 1)), ZZP_OK);
    ASSERT_EQ(sink.stop(), ZZP_OK);
    FileReader r(dir.file("rec-20240501T130000Z.zzr"));
    auto back = r.all_samples();
    ASSERT_EQ(back.size(), samples.size());
    for (size_t i = 0; i < back.size(); ++i) {
        EXPECT_EQ(back[i].sent_wall_ns, samples[i].sent_wall_ns);
        EXPECT_EQ(back[i].seq, samples[i].seq);
    }
}

TEST(FileSink, BadConfigNamesTheKey) {
    FakeHost host("rec");
    SinkUnderTest bad(host, "directory = \"/tmp/x\"\nprecision = 3.0\n");
    EXPECT_EQ(bad.configure_status(), ZZP_E_CONFIG);
    EXPECT_STREQ(bad.error().key, "precision");
    SinkUnderTest bad_rotate(host, "directory = \"/tmp/x\"\nrotate = \"7m\"\n");
    EXPECT_EQ(bad_rotate.configure_status(), ZZP_E_CONFIG);
    EXPECT_STREQ(bad_rotate.error().key, "rotate");
}

// A writer killed with SIGKILL loses at most what the fsync interval allows: everything it
// reported durable is in the file, intact.
TEST(FileSink, SigkillLosesAtMostTheFsyncInterval) {
    test::ScratchDir dir;
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipefd[0]);
        FakeHost host("rec");
        SinkUnderTest sink(host, config(dir.path(), "fsync_interval = \"1s\"\n"));
        host.set_wall_ns(k1300);
        if (sink.start() != ZZP_OK) ::_exit(3);
        sink.target(1, "a");
        for (uint64_t seq = 1;; ++seq) {  // one 100 ms frame per batch, simulated time
            host.set_wall_ns(k1300 + static_cast<int64_t>(seq) * test::kInterval);
            if (sink.frames(seq, frames_at(1, k1300 + static_cast<int64_t>(seq - 1) * test::kInterval, 1, static_cast<uint32_t>(seq))) != ZZP_OK)
                ::_exit(4);
            uint64_t d[2] = {seq, sink.durable()};
            if (::write(pipefd[1], d, sizeof d) != sizeof d) ::_exit(5);
        }
    }
    ::close(pipefd[1]);
    uint64_t d[2] = {0, 0};
    while (d[0] < 255) ASSERT_EQ(::read(pipefd[0], d, sizeof d), static_cast<ssize_t>(sizeof d));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // The child ran on until the kill: its last report is the last thing in the pipe.
    uint64_t more[2];
    while (::read(pipefd[0], more, sizeof more) == static_cast<ssize_t>(sizeof more)) std::memcpy(d, more, sizeof d);
    ::close(pipefd[0]);
    ASSERT_TRUE(WIFSIGNALED(status));
    uint64_t taken = d[0], durable = d[1];
    Recording r({dir.path()});
    ASSERT_EQ(r.series().size(), 1u);
    uint64_t stored = r.aggregate(0, INT64_MIN / 2, INT64_MAX / 2, 0).frames;
    EXPECT_GE(stored, durable);
    // fsync every 1 s of 100 ms batches: at most 10 batches (+1 in flight) can be missing.
    // (The batch after the last report may have been written just before the kill.)
    EXPECT_LE(stored, taken + 1);
    EXPECT_LE(static_cast<int64_t>(taken) - static_cast<int64_t>(stored), 11) << "taken " << taken << " durable " << durable;
    // A kill inside a write may leave a torn last record; never damage before it.
    for (const auto& f : r.files()) {
        ScanReport scan = scan_file(f->path(), true);
        if (!scan.clean) {
            EXPECT_NE(scan.problem.find("cut short"), std::string::npos) << scan.problem;
        }
    }
}

}  // namespace
}  // namespace zzp::rec
