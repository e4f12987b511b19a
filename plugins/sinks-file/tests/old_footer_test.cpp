// Files written before December 2026 (docs/FORMAT.md, "Compatible additions"): their footers list
// each chunk as [offset, type, t_first, t_last] only, and they have no checkpoints. A closed one
// must open from its footer alone — header, end record, index — like a new one: reading each
// chunk's frame while opening faulted in nearly every page of every file (a chunk is smaller
// than a page), and a month of such files opened in 19 s cold instead of 0.4 s and kept 700 MB
// of them resident. An unclosed one is scanned. Also: releasing pyramid levels a caller copied.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <msgpack.hpp>

#include <functional>

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
    h.targets.push_back({2, "b", "127.0.0.2", "icmp", "p", test::kInterval});
    return h;
}

// `seconds` of 10 s chunks of both targets, without sync(): no checkpoints, as before them.
void write_chunks(FileWriter& w, int64_t from_s, int64_t seconds) {
    for (int64_t s = from_s; s < from_s + seconds; s += 10) {
        auto frames = test::random_frames(1, kStart + s * 1'000'000'000, 100, static_cast<uint32_t>(s));
        auto b = test::random_frames(2, kStart + s * 1'000'000'000, 100, static_cast<uint32_t>(s) + 1);
        frames.insert(frames.end(), b.begin(), b.end());
        w.append_frames({"t", 0, 0}, frames);
    }
}

uint64_t end_target(const std::string& bytes) {
    uint64_t at = 0;
    for (int i = 0; i < 8; ++i) at |= uint64_t(uint8_t(bytes[bytes.size() - 8 + size_t(i)])) << (8 * i);
    return at;
}

// The closed file at `path` as the writer before December 2026 left it: the same records up to
// the footer index (header, chunks, pyramid), then an index whose chunk entries have 4 items
// (zstd level 3, as that writer compressed it) and the end record. `edit` may change the
// entries first. Returns the size of the index record.
uint64_t rewrite_as_old(const std::string& path,
                        const std::function<void(std::vector<RecordFrame>&)>& edit = nullptr) {
    std::string bytes = read_whole_file(path);
    const uint64_t index_at = end_target(bytes);
    RecordFrame xf;
    EXPECT_TRUE(parse_frame(bytes.data() + index_at, index_at, xf));
    FileIndex index = decode_index(decode_payload(xf, bytes.data() + index_at + kRecordFrameSize));
    EXPECT_TRUE(index.chunk_frames) << "the current writer lists whole chunk frames";
    if (edit) edit(index.chunks);
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_map(5);
    pk.pack("chunks");
    pk.pack_array(static_cast<uint32_t>(index.chunks.size()));
    for (const auto& c : index.chunks) {
        pk.pack_array(4);
        pk.pack(c.offset);
        pk.pack(static_cast<uint8_t>(c.type));
        pk.pack(c.t_first);
        pk.pack(c.t_last);
    }
    pk.pack("pyramid");
    pk.pack_array(static_cast<uint32_t>(index.pyramid.size()));
    for (const auto& p : index.pyramid) {
        pk.pack_array(3);
        pk.pack(p.target_id);
        pk.pack(p.level);
        pk.pack(p.offset);
    }
    pk.pack("targets");
    pk.pack_array(static_cast<uint32_t>(index.targets.size()));
    for (const auto& t : index.targets) {
        pk.pack_map(6);
        pk.pack("id"), pk.pack(t.id);
        pk.pack("name"), pk.pack(t.name);
        pk.pack("address"), pk.pack(t.address);
        pk.pack("method"), pk.pack(t.method);
        pk.pack("probe"), pk.pack(t.probe);
        pk.pack("interval_ns"), pk.pack(t.interval_ns);
    }
    pk.pack("frames"), pk.pack(index.frames);
    pk.pack("samples"), pk.pack(index.samples);
    std::string x = make_record(RecordType::index, 0, 0, std::string_view(buf.data(), buf.size()), 3);
    std::string end(8, '\0');
    for (int i = 0; i < 8; ++i) end[size_t(i)] = static_cast<char>(index_at >> (8 * i));
    bytes.resize(index_at);
    bytes += x + make_record(RecordType::end, 0, 0, end, 0);
    test::write_file(path, bytes);
    return x.size();
}

// A closed file of an hour (360 chunks of 2 x 100 frames), then its copy with an old footer.
struct OldAndNew {
    test::ScratchDir dir;
    std::string fresh = dir.file("new.zzr"), old = dir.file("old.zzr");
    uint64_t old_index_size = 0;
    OldAndNew() {
        auto w = FileWriter::create(fresh, two_targets(), 3);
        write_chunks(*w, 0, 3600);
        w->close();
        test::write_file(old, read_whole_file(fresh));
        old_index_size = rewrite_as_old(old);
    }
};

TEST(OldFooter, ClosedFileOpensFromItsFooterAloneAndReadsTheSame) {
    OldAndNew f;
    FileReader fresh(f.fresh), old(f.old);
    EXPECT_TRUE(old.closed());
    EXPECT_FALSE(old.torn());
    EXPECT_EQ(old.open_stats().mode, OpenStats::Mode::footer);
    EXPECT_TRUE(old.open_stats().lazy_chunk_frames);
    EXPECT_FALSE(fresh.open_stats().lazy_chunk_frames);
    EXPECT_EQ(old.open_stats().records_scanned, 0u);
    EXPECT_EQ(old.open_stats().chunks_decoded, 0u);
    // Header, end record and index: nothing of the 360 chunks (32 bytes each would be 11 kB).
    ScanReport scan = scan_file(f.old, false);
    ASSERT_TRUE(scan.clean);
    const RecordFrame& header = scan.records.front();
    const uint64_t footer_only = header.end() - header.offset + kRecordFrameSize + 8 + f.old_index_size;
    EXPECT_EQ(old.open_stats().bytes_read, footer_only);

    ASSERT_EQ(old.chunks().size(), fresh.chunks().size());
    EXPECT_EQ(old.t_first(), fresh.t_first());
    EXPECT_EQ(old.t_last(), fresh.t_last());
    for (size_t i = 0; i < old.chunks().size(); ++i) {
        RecordFrame a = old.chunk_frame(old.chunks()[i]), b = fresh.chunks()[i];
        EXPECT_EQ(a.offset, b.offset);
        EXPECT_EQ(a.payload_size, b.payload_size);
        EXPECT_EQ(a.raw_size, b.raw_size);
        EXPECT_EQ(a.flags, b.flags);
        EXPECT_EQ(a.crc, b.crc);
    }
    auto want = fresh.all_frames(), got = old.all_frames();
    ASSERT_EQ(got.size(), want.size());
    ASSERT_EQ(got.size(), 360u * 200u);
    for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].start_wall_ns, want[i].start_wall_ns) << i;
        ASSERT_EQ(got[i].rtt_ns[3], want[i].rtt_ns[3]) << i;
    }
    for (uint32_t id : {1u, 2u}) {
        for (int level = 1; level <= kPyramidLevels; ++level) {
            const auto& a = old.level_nodes(id, level);
            const auto& b = fresh.level_nodes(id, level);
            ASSERT_EQ(a.size(), b.size()) << level;
            for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(a[i].same_data(b[i])) << level << " " << i;
        }
        // Edges at level 0 decode the chunks there (frames read through chunk_frame()).
        int64_t a = kStart + 1234'500'000'000, b = kStart + 2345'600'000'000;
        EXPECT_TRUE(old.aggregate(id, a, b, 0).same_data(fresh.aggregate(id, a, b, 0)));
    }
}

// What the kernel brings in for an open, seen from the page cache: a file dropped from it, opened,
// must have only pages of its start (header, and the few pages of read-ahead a first read gets)
// and of its end (end record, index, the pyramid asked for with MADV_WILLNEED) resident.
TEST(OldFooter, OpeningLeavesTheChunksOnDisk) {
    OldAndNew f;
    Fd fd(::open(f.old.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    const uint64_t size = file_size(fd.get(), f.old);
    const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
    auto resident = [&] {
        std::vector<unsigned char> in((size + page - 1) / page);
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
        EXPECT_NE(p, MAP_FAILED);
        EXPECT_EQ(::mincore(p, size, in.data()), 0);
        ::munmap(p, size);
        std::vector<size_t> pages;
        for (size_t i = 0; i < in.size(); ++i)
            if (in[i] & 1) pages.push_back(i);
        return pages;
    };
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
    if (!resident().empty()) GTEST_SKIP() << "this file system keeps the file in memory (tmpfs?): nothing to see";

    ScanReport scan = scan_file(f.old, false);  // reads every page: drop them again
    uint64_t pyramid_from = size;
    for (const auto& r : scan.records)
        if (r.type == RecordType::pyramid) pyramid_from = std::min(pyramid_from, r.offset);
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
    ASSERT_TRUE(resident().empty());

    FileReader old(f.old);
    ASSERT_EQ(old.open_stats().mode, OpenStats::Mode::footer);
    const uint64_t slack = 64 << 10;  // read-ahead of the first pread and of the one at the end
    ASSERT_GT(pyramid_from, 4 * slack) << "the file is too small to tell";
    size_t in_chunks = 0;
    for (size_t p : resident())
        if (p * page >= slack && (p + 1) * page <= pyramid_from - slack) ++in_chunks;
    EXPECT_EQ(in_chunks, 0u) << "pages of chunks were read while opening, of "
                             << (pyramid_from - 2 * slack) / page;

    // Reading a chunk reads its frame then, from the same pages as its payload.
    const RecordFrame& mid = old.chunks()[old.chunks().size() / 2];
    EXPECT_EQ(old.read_frames(mid).size(), 200u);
}

TEST(OldFooter, AnEntryThatMissesItsChunkIsFoundWhenTheChunkIsRead) {
    OldAndNew f;
    test::write_file(f.old, read_whole_file(f.fresh));
    rewrite_as_old(f.old, [](std::vector<RecordFrame>& chunks) {
        chunks[10].offset = chunks[11].offset;   // another chunk: its times differ
        chunks[20].offset += 1;                  // no record there
        chunks[30].type = RecordType::samples;  // a frame chunk listed as samples
    });
    FileReader old(f.old);
    EXPECT_EQ(old.open_stats().mode, OpenStats::Mode::footer);
    for (size_t i : {10u, 20u, 30u}) {
        const RecordFrame& c = old.chunks()[i];
        EXPECT_THROW(old.chunk_frame(c), FormatError) << i;
        if (c.type == RecordType::frames) EXPECT_THROW(old.read_frames(c), FormatError) << i;
        else EXPECT_THROW(old.read_samples(c), FormatError) << i;
    }
    EXPECT_EQ(old.read_frames(old.chunks()[11]).size(), 200u);
}

TEST(OldFooter, UnclosedFilesAreScanned) {
    test::ScratchDir dir;
    std::string path = dir.file("live.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_chunks(*w, 0, 900);  // no sync, no close: as an old writer's live hour or a crash
    w->release();
    for (bool torn : {false, true}) {
        if (torn) {
            std::string bytes = read_whole_file(path);
            bytes += make_record(RecordType::frames, kStart, kStart, "cut short", 0).substr(0, 20);
            test::write_file(path, bytes);
        }
        FileReader r(path);
        EXPECT_FALSE(r.closed());
        EXPECT_EQ(r.torn(), torn);
        EXPECT_EQ(r.open_stats().mode, OpenStats::Mode::scan);
        EXPECT_FALSE(r.open_stats().lazy_chunk_frames);
        EXPECT_EQ(r.chunks().size(), 90u);
        EXPECT_EQ(r.open_stats().chunks_decoded, 90u);
        auto frames = r.all_frames();
        EXPECT_EQ(frames.size(), 90u * 200u);
        Summary want;
        for (const auto& fr : frames)
            if (fr.target_id == 1) want.add(fr);
        EXPECT_TRUE(r.aggregate(1, r.t_first(), r.t_last() + 1, 0).same_data(want));
        EXPECT_EQ(r.level_nodes(1, 2).size(), r.level_nodes(2, 2).size());
    }
}

// A writer continuing an old file (`recover`, hot swap) writes a new footer: it must list the
// chunks' real frames, not the zeros an old footer's entries carry.
TEST(OldFooter, ContinuingAnOldFileWritesWholeChunkFrames) {
    OldAndNew f;
    auto w = FileWriter::reopen(f.old, 3);
    write_chunks(*w, 3600, 60);
    w->close();
    FileReader r(f.old);
    EXPECT_EQ(r.open_stats().mode, OpenStats::Mode::footer);
    EXPECT_FALSE(r.open_stats().lazy_chunk_frames);
    ScanReport scan = scan_file(f.old, false);
    ASSERT_TRUE(scan.clean);
    std::vector<RecordFrame> chunks;
    for (const auto& c : scan.records)
        if (c.type == RecordType::frames) chunks.push_back(c);
    ASSERT_EQ(r.chunks().size(), chunks.size());
    ASSERT_EQ(chunks.size(), 366u);
    for (size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_EQ(r.chunks()[i].offset, chunks[i].offset);
        EXPECT_EQ(r.chunks()[i].payload_size, chunks[i].payload_size);
        EXPECT_EQ(r.chunks()[i].crc, chunks[i].crc);
    }
    EXPECT_EQ(r.all_frames().size(), 366u * 200u);
}

TEST(ReleaseLevel, StoredLevelsAreReadAgainBuiltOnesStay) {
    OldAndNew f;
    for (const std::string& path : {f.fresh, f.old}) {
        FileReader r(path);
        const auto& level2 = r.level_nodes(1, 2);
        const std::vector<Summary> copy = level2;
        ASSERT_FALSE(copy.empty());
        EXPECT_TRUE(r.release_level(1, 2));
        EXPECT_TRUE(level2.empty()) << "the memory is gone";
        EXPECT_EQ(level2.capacity(), 0u);
        EXPECT_EQ(r.level_nodes(2, 2).size(), copy.size()) << "other targets keep theirs";
        const auto& again = r.level_nodes(1, 2);
        ASSERT_EQ(again.size(), copy.size());
        for (size_t i = 0; i < copy.size(); ++i) EXPECT_TRUE(again[i].same_data(copy[i]));
        // Level 1 of a closed version 2 file is built from the frames: kept.
        const size_t level1 = r.level_nodes(1, 1).size();
        EXPECT_FALSE(r.release_level(1, 1));
        EXPECT_EQ(r.level_nodes(1, 1).size(), level1);
        EXPECT_FALSE(r.release_level(7, 2)) << "no such target";
    }
    // A scanned file has no stored level to read again.
    test::ScratchDir dir;
    std::string path = dir.file("live.zzr");
    auto w = FileWriter::create(path, two_targets(), 3);
    write_chunks(*w, 0, 600);
    w->release();
    FileReader live(path);
    const size_t nodes = live.level_nodes(1, 2).size();
    ASSERT_GT(nodes, 0u);
    EXPECT_FALSE(live.release_level(1, 2));
    EXPECT_EQ(live.level_nodes(1, 2).size(), nodes);
}

}  // namespace
}  // namespace zzp::rec
