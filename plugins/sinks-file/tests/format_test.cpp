// The recording format through the library: quantizer bounds, frame and sample round trips,
// footer vs scan opening, and pyramid answers against brute force.
#include <gtest/gtest.h>

#include <cstring>

#include "recording/chunk_codec.hpp"
#include "recording/file_reader.hpp"
#include "recording/file_writer.hpp"
#include "recording/quantizer.hpp"
#include "recording/recording.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

using test::random_frames;
using test::random_samples;
using test::ScratchDir;

FileHeader header_with(uint32_t targets, double p = 0.01) {
    FileHeader h;
    h.writer = "test";
    h.precision = p;
    h.frame_interval_ns = test::kInterval;
    for (uint32_t i = 1; i <= targets; ++i)
        h.targets.push_back({i, "host" + std::to_string(i), "192.0.2." + std::to_string(i), "icmp", "p", test::kInterval});
    return h;
}

TEST(Quantizer, MatchesTheReferenceExamplesAndBound) {
    Quantizer q(0.01);
    EXPECT_EQ(q.encode(100), 100);
    EXPECT_EQ(q.encode(1000), 331);
    EXPECT_EQ(q.decode(331), 996);
    EXPECT_EQ(q.encode(5000), 493);
    EXPECT_EQ(q.decode(493), 4992);
    EXPECT_EQ(q.encode(20000), 632);
    EXPECT_EQ(q.decode(632), 19905);
    for (int64_t v = 0; v < 50'000'000; v = v * 1.013 + 1) {
        EXPECT_TRUE(test::within_bound(v, q.round_trip(v), 0.01)) << v;
        EXPECT_EQ(-q.round_trip(v), q.round_trip(-v));
    }
}

TEST(RoundTrip, FramesAndSamplesReadBackWithinTheQuantizerBound) {
    ScratchDir dir;
    for (double p : {0.01, 0.001, 0.1}) {
        std::string path = dir.file("rt-" + std::to_string(p) + ".zzr");
        auto w = FileWriter::create(path, header_with(3, p), 3);
        std::vector<zzp_frame> written;
        std::vector<zzp_sample> written_samples;
        for (int64_t chunk = 0; chunk < 5; ++chunk) {
            std::vector<zzp_frame> batch;
            for (uint32_t t = 1; t <= 3; ++t) {
                auto part = random_frames(t, 1'700'000'000'000'000'000 + chunk * 100 * test::kInterval, 100, chunk * 7 + t);
                batch.insert(batch.end(), part.begin(), part.end());
            }
            auto samples = random_samples(static_cast<uint32_t>(1 + chunk % 3), 1'700'000'000'000'000'000 + chunk * 1'000'000'000, 200,
                                          chunk, chunk % 2 == 0);
            w->append_frames({"test", static_cast<uint64_t>(chunk) + 1, static_cast<uint64_t>(chunk) + 1}, batch);
            w->append_samples({"test", 0, 0}, samples);
            written.insert(written.end(), batch.begin(), batch.end());
            written_samples.insert(written_samples.end(), samples.begin(), samples.end());
        }
        w->close();
        FileReader r(path);
        EXPECT_TRUE(r.closed());
        auto frames = r.all_frames();
        ASSERT_EQ(frames.size(), written.size());
        // Chunks group by target; compare per (target, time).
        auto key = [](const zzp_frame& f) { return std::make_pair(f.target_id, f.start_wall_ns); };
        std::sort(written.begin(), written.end(), [&](auto& a, auto& b) { return key(a) < key(b); });
        std::sort(frames.begin(), frames.end(), [&](auto& a, auto& b) { return key(a) < key(b); });
        for (size_t i = 0; i < frames.size(); ++i) {
            const auto &a = written[i], &b = frames[i];
            ASSERT_EQ(key(a), key(b));
            EXPECT_EQ(a.interval_ns, b.interval_ns);
            EXPECT_EQ(a.revision, b.revision);
            EXPECT_EQ(a.flags, b.flags);
            EXPECT_EQ(a.sent, b.sent);
            EXPECT_EQ(a.received, b.received);
            EXPECT_EQ(a.lost, b.lost);
            EXPECT_EQ(a.errors, b.errors);
            EXPECT_EQ(a.late, b.late);
            EXPECT_EQ(a.duplicates, b.duplicates);
            EXPECT_EQ(a.reordered, b.reordered);
            EXPECT_EQ(a.pending, b.pending);
            for (int q = 0; q < 7; ++q) EXPECT_TRUE(test::within_bound(a.rtt_ns[q], b.rtt_ns[q], p)) << q;
            EXPECT_TRUE(test::within_bound(a.rtt_mean_ns, b.rtt_mean_ns, p));
            EXPECT_TRUE(test::within_bound(a.rtt_jitter_ns, b.rtt_jitter_ns, p));
        }
        auto samples = r.all_samples();
        ASSERT_EQ(samples.size(), written_samples.size());
        for (size_t i = 0; i < samples.size(); ++i) {
            const auto &a = written_samples[i], &b = samples[i];
            EXPECT_EQ(a.seq, b.seq);
            EXPECT_EQ(a.sent_wall_ns, b.sent_wall_ns);  // exact, ns or µs resolution
            EXPECT_EQ(a.target_id, b.target_id);
            EXPECT_EQ(a.status, b.status);
            EXPECT_EQ(a.flags, b.flags);
            EXPECT_EQ(a.detail, b.detail);
            EXPECT_TRUE(test::within_bound(a.rtt_ns, b.rtt_ns, p));
        }
    }
}

std::string describe(const zzp_frame& f) {
    std::string s = std::to_string(f.start_wall_ns) + " " + std::to_string(f.interval_ns);
    for (uint32_t v : {f.target_id, f.revision, f.flags, f.sent, f.received, f.lost, f.errors, f.late, f.duplicates,
                       f.reordered, f.pending, f.reserved})
        s += " " + std::to_string(v);
    for (int64_t v : f.rtt_ns) s += " " + std::to_string(v);
    return s + " " + std::to_string(f.rtt_mean_ns) + " " + std::to_string(f.rtt_jitter_ns);
}

// Frames that exercise every column coding of version 2: irregular times (1 ns unit), unsorted
// starts, varying counters and flags, frames without replies or with one reply, huge spikes
// (Rice escapes), values in the quantizer's linear range, and long sections.
std::vector<zzp_frame> awkward_frames(uint32_t target, size_t n, uint32_t seed) {
    auto frames = random_frames(target, 1'700'000'000'000'000'000, n, seed);
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < frames.size(); ++i) {
        zzp_frame& f = frames[i];
        switch (rng() % 9) {
        case 0: f.start_wall_ns += static_cast<int64_t>(rng() % 1000); break;  // not on the interval grid
        case 1: f.start_wall_ns -= 50 * test::kInterval; break;                // out of order
        case 2:
            for (auto& x : f.rtt_ns) x = -1;
            f.rtt_mean_ns = -1;
            f.rtt_jitter_ns = -1;
            break;
        case 3: f.rtt_jitter_ns = -1; break;  // one reply
        case 4:
            if (f.rtt_ns[0] != -1) f.rtt_ns[6] = 3'000'000'000'000;  // a spike far above the rest
            f.rtt_jitter_ns = 900'000'000'000;
            f.rtt_mean_ns = 200'000'000'000;
            break;
        case 5:
            for (int k = 0; k < 7; ++k) f.rtt_ns[k] = 3 + k * 7;  // linear range
            f.rtt_mean_ns = 20;
            break;
        case 6: f.pending = static_cast<uint32_t>(rng() % 5); f.interval_ns = 250'000'000; break;
        case 7: f.sent = static_cast<uint32_t>(rng() % 1000); f.revision = static_cast<uint32_t>(rng()); break;
        default: break;
        }
    }
    return frames;
}

TEST(RoundTrip, EveryColumnCodingReadsBackExactlyAsQuantized) {
    for (double p : {0.01, 0.0001, 1.0})
        // 70000 frames (more than one 65536-frame section) once; it is slow under sanitizers.
        for (size_t n : {size_t{1}, size_t{2}, size_t{37}, size_t{1000}, p == 0.01 ? size_t{70000} : size_t{3000}}) {
            Quantizer q(p);
            std::vector<zzp_frame> frames;
            for (uint32_t t = 1; t <= 3; ++t) {
                auto part = t == 2 ? random_frames(t, 1'700'000'000'000'000'000, n, t) : awkward_frames(t, n, static_cast<uint32_t>(n) + t);
                frames.insert(frames.end(), part.begin(), part.end());
            }
            int64_t t0, t1;
            ChunkOrigin origin{"test", 1, 2}, back;
            std::string raw = encode_frames(origin, frames, q, t0, t1);
            std::vector<zzp_frame> got;
            decode_frames(raw, q, back, got);
            ASSERT_EQ(got.size(), frames.size());
            EXPECT_EQ(back.writer, "test");
            // Sections are grouped by target, each in stored order; the input is in target order.
            for (size_t i = 0; i < frames.size(); ++i) {
                zzp_frame want = quantized_frame(frames[i], q);
                ASSERT_EQ(describe(want), describe(got[i])) << "p " << p << " n " << n << " frame " << i;
            }
        }
}

TEST(RoundTrip, CorruptColumnsAreErrorsNotCrashes) {
    Quantizer q(0.01);
    auto frames = awkward_frames(1, 500, 5);
    int64_t t0, t1;
    std::string raw = encode_frames({"t", 0, 0}, frames, q, t0, t1);
    std::mt19937_64 rng(1);
    int errors = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string bad = raw;
        if (i % 3 == 0) bad.resize(rng() % bad.size());
        for (int k = 0; k < 1 + i % 4; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
        ChunkOrigin o;
        std::vector<zzp_frame> out;
        try {
            decode_frames(bad, q, o, out);
        } catch (const FormatError&) {
            ++errors;
        }
    }
    EXPECT_GT(errors, 100);
}

TEST(Version, ReadsVersion1AndRefusesNewerVersions) {
    ScratchDir dir;
    auto h = header_with(2);
    h.version = 1;
    std::vector<zzp_frame> written;
    {
        auto w = FileWriter::create(dir.file("v1.zzr"), h, 3);
        for (uint32_t t = 1; t <= 2; ++t) {
            auto part = random_frames(t, 1'700'000'000'000'000'000, 3000, t);
            w->append_frames({"t", 0, 0}, part);
            written.insert(written.end(), part.begin(), part.end());
        }
        w->close();
    }
    FileReader r(dir.file("v1.zzr"));
    EXPECT_EQ(r.header().version, 1u);
    auto frames = r.all_frames();
    ASSERT_EQ(frames.size(), written.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        zzp_frame want = quantized_frame(written[i], Quantizer(0.01));
        EXPECT_EQ(describe(want), describe(frames[i])) << i;
    }
    // Version 1 stores pyramid level 1: queries use it and match brute force.
    Summary brute;
    for (const auto& f : frames)
        if (f.target_id == 2) brute.add(f);
    EXPECT_TRUE(r.aggregate(2, INT64_MIN / 2, INT64_MAX / 2, 0).same_data(brute));
    // Appending to a version 1 file (hot swap, recover) keeps writing version 1.
    FileWriter::reopen(dir.file("v1.zzr"), 3)->close();
    EXPECT_EQ(FileReader(dir.file("v1.zzr")).all_frames().size(), written.size());

    auto newer = header_with(1);
    newer.version = kFormatVersion + 1;
    FileWriter::create(dir.file("v-next.zzr"), newer, 3)->close();
    try {
        FileReader next(dir.file("v-next.zzr"));
        FAIL() << "a newer version was read";
    } catch (const FormatError& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("format version " + std::to_string(kFormatVersion + 1)), std::string::npos) << m;
        EXPECT_NE(m.find("knows up to " + std::to_string(kFormatVersion)), std::string::npos) << m;
    }
}

TEST(RoundTrip, ChunksRecordTheirWriterAndBatchRange) {
    ScratchDir dir;
    auto w = FileWriter::create(dir.file("o.zzr"), header_with(1), 3);
    w->append_frames({"file 0.1.0", 5, 9}, random_frames(1, 0, 10, 1));
    w->append_frames({"file 0.2.0", 10, 12}, random_frames(1, 10 * test::kInterval, 10, 2));
    // Not closed: opened by scanning.
    FileReader r(dir.file("o.zzr"));
    EXPECT_FALSE(r.closed());
    ASSERT_EQ(r.chunks().size(), 2u);
    ChunkOrigin o;
    r.read_frames(r.chunks()[1], &o);
    EXPECT_EQ(o.writer, "file 0.2.0");
    EXPECT_EQ(o.first_batch_seq, 10u);
    EXPECT_EQ(o.last_batch_seq, 12u);
}

TEST(RoundTrip, CreateNeverOverwrites) {
    ScratchDir dir;
    FileWriter::create(dir.file("x.zzr"), header_with(1), 3)->close();
    try {
        FileWriter::create(dir.file("x.zzr"), header_with(1), 3);
        FAIL() << "create replaced an existing file";
    } catch (const IoError& e) {
        EXPECT_EQ(e.error(), EEXIST);
        EXPECT_NE(std::string(e.what()).find(dir.file("x.zzr")), std::string::npos);
    }
}

// Brute force over the read-back frames vs the pyramid, for random ranges, closed and unclosed.
TEST(Pyramid, QueriesMatchBruteForce) {
    ScratchDir dir;
    const int64_t start = 1'700'000'003'300'000'000;  // not aligned to any level
    for (bool close : {true, false}) {
        std::string path = dir.file(close ? "closed.zzr" : "open.zzr");
        auto w = FileWriter::create(path, header_with(2), 3);
        for (int c = 0; c < 30; ++c)
            for (uint32_t t = 1; t <= 2; ++t) {
                auto frames = random_frames(t, start + c * 1000 * test::kInterval, 1000, c * 3 + t);
                // A gap: some frames missing entirely.
                if (c % 7 == 3) frames.erase(frames.begin() + 100, frames.begin() + 700);
                w->append_frames({"t", 0, 0}, frames);
            }
        if (close) w->close();
        w.reset();
        FileReader r(path);
        EXPECT_EQ(r.closed(), close);
        auto all = r.all_frames();
        std::mt19937_64 rng(close);
        const int64_t span = 30 * 1000 * test::kInterval;
        for (int i = 0; i < 200; ++i) {
            uint32_t t = 1 + rng() % 2;
            int64_t a = start - 1000 * test::kInterval + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
            int64_t b = a + static_cast<int64_t>(rng() % static_cast<uint64_t>(span / (1 + rng() % 50)));
            int min_level = i % 2 ? 0 : static_cast<int>(rng() % 5);
            if (min_level > 0) {
                // The fast path is exact on that level's bucket boundaries.
                int64_t wdt = level_width(test::kInterval, min_level);
                a = floor_div(a, wdt) * wdt;
                b = floor_div(b, wdt) * wdt;
            }
            Summary brute;
            for (const auto& f : all)
                if (f.target_id == t && f.start_wall_ns >= a && f.start_wall_ns < b) brute.add(f);
            Summary got = r.aggregate(t, a, b, min_level);
            ASSERT_TRUE(got.same_data(brute)) << "range " << a << ".." << b << " level " << min_level << " frames "
                                              << got.frames << " vs " << brute.frames;
        }
    }
}

TEST(Pyramid, RecordingMergesFilesAndColumnsCoverEverything) {
    ScratchDir dir;
    const int64_t start = 1'700'000'000'000'000'000;
    std::vector<zzp_frame> all;
    for (int file = 0; file < 3; ++file) {
        auto h = header_with(1);
        h.targets[0].id = 7 + file;  // ids differ per file; the key matches them
        auto w = FileWriter::create(dir.file("f" + std::to_string(file) + ".zzr"), h, 3);
        auto frames = random_frames(7 + file, start + file * 5000 * test::kInterval, 5000, file);
        w->append_frames({"t", 0, 0}, frames);
        for (auto f : frames) all.push_back(quantized_frame(f, Quantizer(0.01)));
        w->close();
    }
    Recording rec({dir.path()});
    ASSERT_EQ(rec.series().size(), 1u);
    int64_t t0 = start, t1 = start + 15000 * test::kInterval;
    auto cols = rec.columns(0, t0, t1, 100);
    Summary total;
    for (const auto& c : cols) total.merge(c);
    Summary brute;
    for (const auto& f : all) brute.add(f);
    EXPECT_TRUE(total.same_data(brute));
    EXPECT_EQ(total.frames, 15000u);
}

// Wide columns use whole level-2 buckets, counted where they start; hourly files do not fall on
// bucket edges, so a file's first bucket starts before its first frame and must still count.
TEST(Pyramid, WideColumnsCountBucketsThatStartBeforeAFile) {
    ScratchDir dir;
    const int64_t hour = 3600'000'000'000;
    const int64_t start = 1'714'521'600'000'000'000;  // an hour boundary
    for (int file = 0; file < 3; ++file) {
        auto w = FileWriter::create(dir.file("h" + std::to_string(file) + ".zzr"), header_with(1), 3);
        for (int c = 0; c < 36; ++c)
            w->append_frames({"t", 0, 0}, random_frames(1, start + file * hour + c * 1000 * test::kInterval, 1000,
                                                        static_cast<uint32_t>(file * 100 + c)));
        w->close();
    }
    Recording rec({dir.path()});
    for (size_t n : {10u, 7u, 3u}) {  // columns of 18, 26 and 60 minutes: levels 2 and 3
        uint64_t frames = 0;
        for (const auto& c : rec.columns(0, start, start + 3 * hour, n)) frames += c.frames;
        EXPECT_EQ(frames, 3u * 36000u) << n << " columns";
    }
}

}  // namespace
}  // namespace zzp::rec
