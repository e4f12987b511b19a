// Checkpoints (docs/FORMAT.md, "Checkpoints"): a writer syncing a file it has not closed appends
// level-2 pyramid nodes, and a reader of such a file decodes only the chunks after the last
// checkpoint — with every answer equal to a brute-force pass over the frames, also with late
// frames, several frame intervals, a continued file, a torn tail and a damaged checkpoint.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <msgpack.hpp>

#include <cstring>
#include <set>

#include "recording/file_io.hpp"
#include "recording/file_reader.hpp"
#include "recording/file_writer.hpp"
#include "recording/metadata.hpp"
#include "recording/record_io.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

constexpr int64_t kStart = 1'700'000'003'300'000'000;  // not aligned to any level

FileHeader two_targets() {
    FileHeader h;
    h.writer = "test";
    h.frame_interval_ns = test::kInterval;
    h.targets.push_back({1, "a", "127.0.0.1", "icmp", "p", test::kInterval});
    h.targets.push_back({2, "b", "127.0.0.2", "icmp", "p", 10 * test::kInterval});  // 1 s frames
    return h;
}

// 10 s chunks of both targets for `seconds`, synced after each like the sink; every 7th chunk
// also carries late frames of target 1 for a bucket two to three minutes back.
void write_span(FileWriter& w, int64_t from_s, int64_t seconds, uint32_t seed) {
    for (int64_t s = from_s; s < from_s + seconds; s += 10) {
        auto frames = test::random_frames(1, kStart + s * 1'000'000'000, 100, seed + static_cast<uint32_t>(s));
        auto slow = test::random_frames(2, kStart + s * 1'000'000'000, 10, seed + 7 + static_cast<uint32_t>(s));
        for (size_t i = 0; i < slow.size(); ++i) {
            slow[i].interval_ns = 10 * test::kInterval;
            slow[i].start_wall_ns = kStart + (s + static_cast<int64_t>(i)) * 1'000'000'000;
        }
        frames.insert(frames.end(), slow.begin(), slow.end());
        if ((s / 10) % 7 == 6 && s >= 180) {
            auto late = test::random_frames(1, kStart + (s - 170) * 1'000'000'000 + 50'000'000, 3, seed + 99);
            frames.insert(frames.end(), late.begin(), late.end());
        }
        w.append_frames({"t", 0, 0}, frames);
        w.sync();
    }
}

// The pyramid of `frames` built directly: what every reader must answer.
std::map<uint32_t, Pyramid> brute_pyramids(const std::vector<zzp_frame>& frames, const FileReader& r) {
    std::map<uint32_t, Pyramid> out;
    for (const auto& f : frames) out.try_emplace(f.target_id, r.target(f.target_id)->interval_ns).first->second.add(f);
    return out;
}

void expect_equals_brute_force(const FileReader& r, const std::string& where) {
    auto frames = r.all_frames();
    auto brute = brute_pyramids(frames, r);
    for (auto& [id, pyr] : brute)
        for (int level = 1; level <= kPyramidLevels; ++level) {
            const auto& got = r.level_nodes(id, level);
            const auto& want = pyr.level(level);
            ASSERT_EQ(got.size(), want.size()) << where << " target " << id << " level " << level;
            for (size_t i = 0; i < got.size(); ++i) {
                ASSERT_EQ(got[i].start_ns, want[i].start_ns) << where;
                ASSERT_TRUE(got[i].same_data(want[i])) << where << " target " << id << " level " << level << " node " << i;
            }
        }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 60 && !frames.empty(); ++i) {
        uint32_t t = 1 + rng() % 2;
        int64_t span = r.t_last() - r.t_first() + 1;
        int64_t a = r.t_first() + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
        int64_t b = a + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
        Summary want;
        for (const auto& f : frames)
            if (f.target_id == t && f.start_wall_ns >= a && f.start_wall_ns < b) want.add(f);
        ASSERT_TRUE(r.aggregate(t, a, b, 0).same_data(want)) << where << " range " << a << ".." << b;
    }
}

// Offsets of the checkpoint records (index records not followed by an end record).
std::vector<uint64_t> checkpoint_offsets(const std::string& path) {
    ScanReport s = scan_file(path, true);
    EXPECT_TRUE(s.clean) << s.problem;
    std::vector<uint64_t> out;
    for (size_t i = 0; i < s.records.size(); ++i)
        if (s.records[i].type == RecordType::index &&
            (i + 1 == s.records.size() || s.records[i + 1].type != RecordType::end))
            out.push_back(s.records[i].offset);
    return out;
}

TEST(Checkpoint, WrittenAtSyncAndUsedByTheReader) {
    test::ScratchDir dir;
    std::string path = dir.file("live.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_span(*w, 0, 1800, 1);  // 30 minutes: ~17 level-2 buckets of target 1
    auto cps = checkpoint_offsets(path);
    ASSERT_GE(cps.size(), 3u);
    // Each is an index record that readers before checkpoints can decode (and skip).
    std::string bytes = read_whole_file(path);
    RecordFrame f;
    ASSERT_TRUE(parse_frame(bytes.data() + cps.back(), cps.back(), f));
    std::string raw = decode_payload(f, bytes.data() + cps.back() + kRecordFrameSize);
    FileIndex legacy_view = decode_index(raw);
    EXPECT_TRUE(legacy_view.chunks.empty());
    auto cp = decode_checkpoint(raw);
    ASSERT_TRUE(cp.has_value());
    ASSERT_EQ(cp->targets.size(), 2u);
    for (const auto& t : cp->targets) EXPECT_EQ(t.width_ns, level_width(t.target_id == 1 ? test::kInterval : 10 * test::kInterval, 2));

    FileReader r(path);
    EXPECT_FALSE(r.closed());
    EXPECT_FALSE(r.torn());
    EXPECT_EQ(r.open_stats().mode, OpenStats::Mode::checkpoint);
    EXPECT_EQ(r.open_stats().checkpoint_offset, cps.back());
    EXPECT_EQ(r.open_stats().checkpoints, cps.size());
    size_t frame_chunks = 0;
    for (const auto& c : r.chunks()) frame_chunks += c.type == RecordType::frames;
    EXPECT_EQ(frame_chunks, 180u);
    // Only the chunks after the last checkpoint and of the buckets in progress at it (1 s frames:
    // 17 min buckets) are decoded, not the whole file.
    EXPECT_LT(r.open_stats().chunks_decoded, frame_chunks);
    EXPECT_GT(r.open_stats().chunks_decoded, 0u);
    expect_equals_brute_force(r, "live");

    w->close();  // a closed file uses its footer, checkpoints or not
    FileReader closed(path);
    EXPECT_EQ(closed.open_stats().mode, OpenStats::Mode::footer);
    expect_equals_brute_force(closed, "closed");
}

// A viewer holding a month open unmaps the pages it read (FileReader::drop_mapped_pages); the
// reader goes on answering the same from the page cache, before and after, open or closed file.
TEST(Checkpoint, DroppingTheMappedPagesChangesNoAnswer) {
    test::ScratchDir dir;
    std::string path = dir.file("drop.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_span(*w, 0, 600, 5);
    FileReader open_file(path);
    auto before = open_file.all_frames();
    open_file.drop_mapped_pages();
    auto after = open_file.all_frames();
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i) ASSERT_EQ(0, std::memcmp(&before[i], &after[i], sizeof before[i])) << i;
    expect_equals_brute_force(open_file, "open, pages dropped");
    w->close();
    FileReader closed(path);
    closed.drop_mapped_pages();
    expect_equals_brute_force(closed, "closed, pages dropped");
    closed.drop_mapped_pages();
    EXPECT_EQ(closed.all_frames().size(), before.size());
}

TEST(Checkpoint, EveryCutAfterTheLastCheckpointStaysCorrect) {
    test::ScratchDir dir;
    std::string path = dir.file("full.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_span(*w, 0, 1500, 2);
    auto cps = checkpoint_offsets(path);
    ASSERT_FALSE(cps.empty());
    w.reset();  // unclosed, like a crash
    std::string full = read_whole_file(path);
    ScanReport scan = scan_file(path, false);
    // Cut anywhere from inside the last checkpoint to the end: the cut record is lost, nothing else.
    std::string cut_path = dir.file("cut.zzr");
    const uint64_t from = cps.back() + 1;
    // ~150 cuts spread over that range, plus each record boundary and its neighbours.
    std::set<uint64_t> cuts{full.size()};
    for (uint64_t c = from; c < full.size(); c += std::max<uint64_t>(1, (full.size() - from) / 150)) cuts.insert(c);
    for (const auto& rec : scan.records)
        if (rec.end() >= from)
            for (uint64_t c : {rec.end() - 1, rec.end(), rec.end() + 1})
                if (c >= from && c <= full.size()) cuts.insert(c);
    for (uint64_t cut : cuts) {
        test::write_file(cut_path, full.substr(0, cut));
        uint64_t last_good = kFileMagicSize;
        for (const auto& rec : scan.records)
            if (rec.end() <= cut) last_good = rec.end();
        FileReader r(cut_path);
        EXPECT_EQ(r.valid_end(), last_good) << cut;
        EXPECT_EQ(r.torn(), cut != last_good) << cut;
        // Whole records: the same frames as a full scan of the cut file would give.
        ScanReport s = scan_file(cut_path, true);
        size_t chunks = 0;
        for (const auto& rec : s.records) chunks += rec.type == RecordType::frames;
        EXPECT_EQ(r.chunks().size(), chunks) << cut;
        expect_equals_brute_force(r, "cut at " + std::to_string(cut));
        if (HasFatalFailure()) return;
    }
}

TEST(Checkpoint, ADamagedCheckpointEndsTheFileThereLikeAScan) {
    test::ScratchDir dir;
    std::string path = dir.file("flip.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_span(*w, 0, 1500, 3);
    w.reset();
    auto cps = checkpoint_offsets(path);
    ASSERT_GE(cps.size(), 2u);
    std::string bytes = read_whole_file(path);
    bytes[cps.back() + kRecordFrameSize + 5] ^= 0x41;
    test::write_file(path, bytes);
    FileReader r(path);
    EXPECT_EQ(r.valid_end(), cps.back());  // what a scan trusts: everything before the bad record
    EXPECT_TRUE(r.torn());
    EXPECT_EQ(r.open_stats().mode, OpenStats::Mode::checkpoint);
    EXPECT_EQ(r.open_stats().checkpoint_offset, cps[cps.size() - 2]);
    expect_equals_brute_force(r, "damaged checkpoint");
}

TEST(Checkpoint, AContinuedFileAndLateFramesStayExact) {
    test::ScratchDir dir;
    std::string path = dir.file("cont.zzr");
    {
        auto w = FileWriter::create(path, two_targets(), 3);
        write_span(*w, 0, 900, 4);
        // Frames of completed buckets not yet in a checkpoint, then the writer goes away.
        w->append_frames({"t", 0, 0}, test::random_frames(1, kStart + 905'000'000'000, 40, 5));
    }
    {
        auto w = FileWriter::reopen(path, 3);  // as recover or a hot swap continues it
        w->append_frames({"t", 0, 0}, test::random_frames(1, kStart + 200'000'000'000, 5, 6));  // late, old bucket
        write_span(*w, 910, 900, 7);
        w->close();
        auto w2 = FileWriter::reopen(path, 3);  // continued after a footer
        write_span(*w2, 1810, 600, 8);
    }
    FileReader r(path);
    EXPECT_EQ(r.open_stats().mode, OpenStats::Mode::checkpoint);
    expect_equals_brute_force(r, "continued");
}

// Files whose footer lists chunks without their frames (written before checkpoints came) and
// unclosed files without checkpoints still read.
TEST(Checkpoint, OlderFootersAndFilesWithoutCheckpointsStillRead) {
    test::ScratchDir dir;
    std::string path = dir.file("old.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    for (int c = 0; c < 40; ++c)  // no sync: no checkpoint
        w->append_frames({"t", 0, 0}, test::random_frames(1, kStart + c * 10'000'000'000, 100, static_cast<uint32_t>(c)));
    uint64_t data_end = w->size();
    FileReader scanned(path);
    EXPECT_EQ(scanned.open_stats().mode, OpenStats::Mode::scan);
    expect_equals_brute_force(scanned, "no checkpoints");
    auto want = scanned.all_frames();

    w->close();
    // Append a second footer whose chunk entries have only [offset, type, t_first, t_last], as
    // version 2 files had before; a file's last footer wins.
    std::string bytes = read_whole_file(path);
    FileReader current(path);
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_map(3);
    pk.pack("chunks");
    pk.pack_array(static_cast<uint32_t>(current.chunks().size()));
    for (const auto& c : current.chunks()) {
        pk.pack_array(4);
        pk.pack(c.offset);
        pk.pack(static_cast<uint8_t>(c.type));
        pk.pack(c.t_first);
        pk.pack(c.t_last);
    }
    pk.pack("pyramid");
    pk.pack_array(0);  // no stored levels: levels 2-4 are then empty, so compare frames only
    pk.pack("targets");
    pk.pack_array(0);
    std::string index = make_record(RecordType::index, 0, 0, std::string_view(buf.data(), buf.size()), 0);
    uint64_t index_at = bytes.size();
    std::string end(8, '\0');
    for (int i = 0; i < 8; ++i) end[static_cast<size_t>(i)] = static_cast<char>(index_at >> (8 * i));
    bytes += index + make_record(RecordType::end, 0, 0, end, 0);
    test::write_file(path, bytes);
    FileReader old(path);
    EXPECT_EQ(old.open_stats().mode, OpenStats::Mode::footer);
    EXPECT_TRUE(old.open_stats().lazy_chunk_frames);
    ASSERT_EQ(old.chunks().size(), current.chunks().size());
    for (size_t i = 0; i < old.chunks().size(); ++i) {
        // Such a footer lists no sizes or checksums: they are read when a chunk is.
        RecordFrame whole = old.chunk_frame(old.chunks()[i]);
        EXPECT_EQ(whole.payload_size, current.chunks()[i].payload_size);
        EXPECT_EQ(whole.crc, current.chunks()[i].crc);
    }
    EXPECT_LE(old.chunk_frame(old.chunks().back()).end(), data_end);
    auto got = old.all_frames();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].rtt_ns[3], want[i].rtt_ns[3]);
}

}  // namespace
}  // namespace zzp::rec
