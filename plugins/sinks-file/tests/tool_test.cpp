// zzprobe-file as a user runs it: every subcommand through the built executable.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "recording/file_io.hpp"
#include "recording/file_reader.hpp"
#include "recording/file_writer.hpp"
#include "recording/legacy.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

struct ToolRun {
    int status;
    std::string out;
};

// ToolRun the tool with a shell-quoted argument string; stdout and stderr together.
ToolRun tool(const std::string& args) {
    std::string cmd = std::string(ZZP_FILE_TOOL) + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

class ToolTest : public ::testing::Test {
protected:
    void SetUp() override {
        FileHeader h;
        h.writer = "test";
        h.frame_interval_ns = test::kInterval;
        h.targets.push_back({1, "router", "192.0.2.1", "icmp", "p", test::kInterval});
        h.targets.push_back({2, "isp", "192.0.2.2", "icmp", "p", test::kInterval});
        auto w = FileWriter::create(path_, h, 3);
        for (int c = 0; c < 4; ++c) {
            auto a = test::random_frames(1, start_ + c * 100 * test::kInterval, 100, c);
            auto b = test::random_frames(2, start_ + c * 100 * test::kInterval, 100, c + 10);
            a.insert(a.end(), b.begin(), b.end());
            w->append_frames({"file 0.1.0", 1, 1}, a);
        }
        w->append_samples({"file 0.1.0", 1, 1}, test::random_samples(1, start_, 50, 1, true));
        w->close();
    }
    test::ScratchDir dir_;
    std::string path_ = dir_.file("r.zzr");
    int64_t start_ = 1714568400'000'000'000;
};

TEST_F(ToolTest, InfoDescribesTheFile) {
    ToolRun r = tool("info " + path_);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("800 frames"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("50 samples"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("router (192.0.2.1)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("closed"), std::string::npos) << r.out;
}

TEST_F(ToolTest, DumpWritesTextCsvAndJsonLines) {
    ToolRun csv = tool("dump --format csv --target isp " + path_);
    ASSERT_EQ(csv.status, 0) << csv.out;
    size_t lines = std::count(csv.out.begin(), csv.out.end(), '\n');
    EXPECT_EQ(lines, 401u);  // header + 400 frames of one target
    EXPECT_EQ(csv.out.rfind("target,address,start_ns", 0), 0u);
    ToolRun jsonl = tool("dump --format=jsonl " + path_);
    ASSERT_EQ(jsonl.status, 0);
    EXPECT_EQ(std::count(jsonl.out.begin(), jsonl.out.end(), '\n'), 800);
    EXPECT_NE(jsonl.out.find("{\"target\":\"router\""), std::string::npos);
    ToolRun text = tool("dump " + path_);
    EXPECT_NE(text.out.find("2024-05-01T13:00:00.000000+00:00  router"), std::string::npos) << text.out.substr(0, 300);
    ToolRun samples = tool("dump --samples --format csv " + path_);
    EXPECT_EQ(std::count(samples.out.begin(), samples.out.end(), '\n'), 51);
    ToolRun bad = tool("dump --format xml " + path_);
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.out.find("--format must be"), std::string::npos);
}

TEST_F(ToolTest, VerifyReportsTheFirstBadByteAndRecoverRepairs) {
    EXPECT_EQ(tool("verify " + path_).status, 0);
    std::string bytes = read_whole_file(path_);
    FileReader r(path_);
    uint64_t last_chunk = r.chunks().back().offset;
    // A crash in the middle of the last data chunk: everything after it is gone.
    std::string torn = dir_.file("torn.zzr");
    std::ofstream(torn, std::ios::binary) << bytes.substr(0, last_chunk + 17);
    ToolRun v = tool("verify " + torn);
    EXPECT_EQ(v.status, 1);
    EXPECT_NE(v.out.find("BAD at byte " + std::to_string(last_chunk)), std::string::npos) << v.out;
    ToolRun rec = tool("recover " + torn);
    EXPECT_EQ(rec.status, 0) << rec.out;
    EXPECT_NE(rec.out.find("cut 17 bytes"), std::string::npos) << rec.out;
    EXPECT_EQ(tool("verify " + torn).status, 0);
    EXPECT_EQ(FileReader(torn).all_frames().size(), 800u);  // the samples chunk was the torn one
    ToolRun again = tool("recover " + torn);
    EXPECT_NE(again.out.find("nothing to do"), std::string::npos);
    ToolRun missing = tool("verify " + dir_.file("nope.zzr"));
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.out.find("nope.zzr"), std::string::npos);
}

TEST_F(ToolTest, AggregateMakesCoarserFramesWithTheSameCounts) {
    std::string out = dir_.file("agg.zzr");
    ToolRun r = tool("aggregate --interval 1s -o " + out + " " + path_);
    ASSERT_EQ(r.status, 0) << r.out;
    FileReader agg(out), orig(path_);
    auto frames = agg.all_frames();
    EXPECT_EQ(frames.size(), 80u);  // 40 s per target
    uint64_t sent = 0, orig_sent = 0, lost = 0, orig_lost = 0;
    int64_t max_rtt = 0, orig_max = 0;
    for (const auto& f : frames) sent += f.sent, lost += f.lost, max_rtt = std::max(max_rtt, f.rtt_ns[6]);
    for (const auto& f : orig.all_frames()) orig_sent += f.sent, orig_lost += f.lost, orig_max = std::max(orig_max, f.rtt_ns[6]);
    EXPECT_EQ(sent, orig_sent);
    EXPECT_EQ(lost, orig_lost);
    EXPECT_TRUE(test::within_bound(orig_max, max_rtt, 0.01));
    for (const auto& f : frames) EXPECT_EQ(f.interval_ns, 1'000'000'000);
}

TEST_F(ToolTest, ExportImportRoundTripAndLegacyErrors) {
    std::string fdq = dir_.file("router.fdq");
    ToolRun e = tool("export --target router -o " + fdq + " " + path_);
    ASSERT_EQ(e.status, 0) << e.out;
    ToolRun ambiguous = tool("export -o " + dir_.file("x.fdq") + " " + path_);
    EXPECT_EQ(ambiguous.status, 2);
    EXPECT_NE(ambiguous.out.find("--target"), std::string::npos);
    std::string back = dir_.file("back.zzr");
    ToolRun no_host = tool("import -o " + back + " " + fdq);
    EXPECT_EQ(no_host.status, 2);
    EXPECT_NE(no_host.out.find("--target NAME"), std::string::npos) << no_host.out;
    ToolRun i = tool("import --target router -o " + back + " " + fdq);
    ASSERT_EQ(i.status, 0) << i.out;
    auto orig = FileReader(path_).all_frames();
    auto got = FileReader(back).all_frames();
    size_t routers = 0;
    for (const auto& f : orig) routers += f.target_id == 1;
    ASSERT_EQ(got.size(), routers);
    // A FrameData log named by the daemon gives the host from its name.
    std::string log = dir_.file("pingd-log-192.0.2.9-20240501T13.log");
    {
        std::string d;
        d += static_cast<char>(0xd9);
        d += static_cast<char>(32);
        d += "2024-05-01T13:00:00.000000+00:00";
        d += std::string("\x00\x01\x00\x91\xcd\x03\xe8", 7);  // offset 0, inflight 1, lost 0, [1000]
        std::ofstream(log, std::ios::binary) << d;
    }
    std::string imported = dir_.file("fd.zzr");
    ToolRun fd = tool("import -o " + imported + " " + log);
    ASSERT_EQ(fd.status, 0) << fd.out;
    FileReader fr(imported);
    EXPECT_EQ(fr.targets().at(0).name, "192.0.2.9");
    EXPECT_EQ(fr.all_frames().size(), 1u);
    // The broken delta-encoded FDQ is refused with the reason.
    std::string broken = dir_.file("delta.fdq");
    {
        std::string bytes = write_fdq({}, 0.01);
        bytes[bytes.size() - 1] = static_cast<char>(0xc3);  // delta_enc: true
        std::ofstream(broken, std::ios::binary) << bytes;
    }
    ToolRun refused = tool("import --target x -o " + dir_.file("d.zzr") + " " + broken);
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.out.find("delta_enc"), std::string::npos) << refused.out;
    ToolRun unknown = tool("frobnicate");
    EXPECT_EQ(unknown.status, 2);
}

}  // namespace
}  // namespace zzp::rec
