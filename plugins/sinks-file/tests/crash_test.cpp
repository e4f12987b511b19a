// Crash safety: a file cut at every byte offset of its last chunks (what a crash mid-write
// leaves) is reported by the scan at the right offset, keeps every complete chunk readable,
// and is repaired by reopen + close (what `recover` does).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include "recording/file_io.hpp"
#include "recording/file_reader.hpp"
#include "recording/file_writer.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

TEST(CrashSafety, EveryCutInTheLastChunksCostsOnlyThatChunk) {
    test::ScratchDir dir;
    std::string path = dir.file("full.zzr");
    FileHeader h;
    h.writer = "test";
    h.frame_interval_ns = test::kInterval;
    h.targets.push_back({1, "a", "127.0.0.1", "icmp", "p", test::kInterval});
    auto w = FileWriter::create(path, h, 3);
    std::vector<uint64_t> chunk_ends;
    std::vector<size_t> frames_through;  // frames in chunks 0..i
    size_t total = 0;
    for (int c = 0; c < 6; ++c) {
        auto frames = test::random_frames(1, c * 50 * test::kInterval, 50, c);
        w->append_frames({"t", 0, 0}, frames);
        total += frames.size();
        chunk_ends.push_back(w->size());
        frames_through.push_back(total);
    }
    w->sync();
    w.reset();  // unclosed, like a crash
    std::string full = read_whole_file(path);
    ASSERT_EQ(full.size(), chunk_ends.back());

    const uint64_t first_cut = chunk_ends[chunk_ends.size() - 3];  // the last two chunks
    std::string cut_path = dir.file("cut.zzr");
    for (uint64_t cut = first_cut; cut <= full.size(); ++cut) {
        {
            Fd fd(::open(cut_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
            pwrite_all(fd.get(), cut_path, full.data(), cut, 0);
        }
        size_t complete = 0;  // chunks wholly inside the cut
        while (complete < chunk_ends.size() && chunk_ends[complete] <= cut) ++complete;
        uint64_t last_good = chunk_ends[complete - 1];

        ScanReport s = scan_file(cut_path, true);
        ASSERT_EQ(s.clean, cut == last_good) << cut;
        if (!s.clean) {
            EXPECT_EQ(s.bad_offset, last_good) << cut;
            EXPECT_NE(s.problem.find("cut short"), std::string::npos) << s.problem;
        }
        FileReader r(cut_path);
        ASSERT_EQ(r.all_frames().size(), frames_through[complete - 1]) << cut;
        EXPECT_EQ(r.torn(), cut != last_good);

        FileWriter::reopen(cut_path, 3)->close();  // recover
        ScanReport after = scan_file(cut_path, true);
        EXPECT_TRUE(after.clean) << cut;
        FileReader repaired(cut_path);
        EXPECT_TRUE(repaired.closed());
        EXPECT_EQ(repaired.all_frames().size(), frames_through[complete - 1]);
    }
}

TEST(CrashSafety, AFlippedByteIsFoundAtItsRecord) {
    test::ScratchDir dir;
    std::string path = dir.file("flip.zzr");
    FileHeader h;
    h.writer = "test";
    h.frame_interval_ns = test::kInterval;
    h.targets.push_back({1, "a", "127.0.0.1", "icmp", "p", test::kInterval});
    auto w = FileWriter::create(path, h, 3);
    w->append_frames({"t", 0, 0}, test::random_frames(1, 0, 50, 1));
    uint64_t second = w->size();
    w->append_frames({"t", 0, 0}, test::random_frames(1, 50 * test::kInterval, 50, 2));
    w->close();
    std::string bytes = read_whole_file(path);
    bytes[second + 40] ^= 0x5a;
    {
        Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC));
        pwrite_all(fd.get(), path, bytes.data(), bytes.size(), 0);
    }
    ScanReport s = scan_file(path, true);
    EXPECT_FALSE(s.clean);
    EXPECT_EQ(s.bad_offset, second);
    EXPECT_NE(s.problem.find("checksum"), std::string::npos) << s.problem;
}

}  // namespace
}  // namespace zzp::rec
