// Column queries against brute force, scales and time axes: no GPU needed.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "file_source.hpp"
#include "level_nodes.hpp"
#include "recording/file_reader.hpp"
#include "recording/pyramid.hpp"
#include "scale.hpp"
#include "synth_recording.hpp"
#include "test_util.hpp"

namespace zzp::viewer {
namespace {

std::vector<zzp_frame> all_frames(const std::vector<std::string>& files) {
    std::vector<zzp_frame> out;
    for (const auto& f : files) {
        rec::FileReader r(f);
        auto v = r.all_frames();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

class QueryTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        SynthSpec s;
        s.directory = test::temp_dir("query");
        s.hosts = {"a", "b"};
        s.duration_ns = 3 * 3600'000'000'000LL;  // 3 files of an hour
        s.burst_rate_per_s = 0.01;
        s.seed = 7;
        // Random gaps: frames missing here and there, and a whole missing half hour for b.
        std::mt19937_64 rng(3);
        s.hook = [&rng, t0 = s.t0_ns](size_t h, zzp_frame& f) {
            if (h == 1 && f.start_wall_ns > t0 + 3600'000'000'000LL && f.start_wall_ns < t0 + 5400'000'000'000LL)
                return false;
            return rng() % 50 != 0;
        };
        spec_ = new SynthSpec(s);
        files_ = new std::vector<std::string>(write_synthetic_recording(s));
        frames_ = new std::vector<zzp_frame>(all_frames(*files_));
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(spec_->directory);
        delete spec_;
        delete files_;
        delete frames_;
    }
    static SynthSpec* spec_;
    static std::vector<std::string>* files_;
    static std::vector<zzp_frame>* frames_;
};
SynthSpec* QueryTest::spec_;
std::vector<std::string>* QueryTest::files_;
std::vector<zzp_frame>* QueryTest::frames_;

TEST_F(QueryTest, FrameLevelColumnsEqualBruteForceOnRandomWindows) {
    FileSource src({spec_->directory});
    ASSERT_EQ(src.hosts().size(), 2u);
    EXPECT_TRUE(src.problems().empty());
    std::mt19937_64 rng(11);
    for (int i = 0; i < 40; ++i) {
        size_t n = 50 + rng() % 400;
        int64_t span = int64_t(1'000'000'000 + rng() % 600'000'000'000ULL);  // up to 10 min: level 0
        int64_t t0 = spec_->t0_ns - 5'000'000'000 + int64_t(rng() % uint64_t(spec_->duration_ns));
        ColumnGrid g{t0, t0 + span, n};
        for (size_t h = 0; h < 2; ++h) {
            QueryStats st;
            std::vector<Column> got, want;
            src.columns(h, g, got, st);
            ASSERT_EQ(st.level, 0) << "span " << span << " n " << n;
            brute_force_columns(*frames_, uint32_t(h + 1), g, want);
            ASSERT_EQ(got, want) << "window " << i << " host " << h;
        }
    }
}

TEST_F(QueryTest, PyramidColumnsEqualBruteForceOnBucketAlignedRandomWindows) {
    FileSource src({spec_->directory});
    std::mt19937_64 rng(12);
    int checked_levels[rec::kPyramidLevels + 1] = {};
    for (int i = 0; i < 80; ++i) {
        int level = 1 + int(rng() % 2);  // 3 h of data: levels 1 and 2 are what whole views use
        int64_t w = rec::level_width(spec_->interval_ns, level);
        // Up to 39 buckets a column: wide columns take whole buckets of the next level.
        int64_t per_col = w * int64_t(2 + rng() % (i % 2 ? 6 : 38));
        size_t n = 10 + rng() % 200;
        if (FileSource::level_for(spec_->interval_ns, per_col) != level) continue;
        int64_t t0 =
            rec::floor_div(spec_->t0_ns + int64_t(rng() % uint64_t(spec_->duration_ns)) - per_col * int64_t(n) / 2, w) *
            w;
        ColumnGrid g{t0, t0 + per_col * int64_t(n), n};
        for (size_t h = 0; h < 2; ++h) {
            QueryStats st;
            std::vector<Column> got, want;
            src.columns(h, g, got, st);
            ASSERT_EQ(st.level, level);
            brute_force_columns(*frames_, uint32_t(h + 1), g, want);
            ASSERT_EQ(got, want) << "window " << i << " level " << level << " host " << h;
            ++checked_levels[level];
        }
    }
    EXPECT_GT(checked_levels[1], 0);
    EXPECT_GT(checked_levels[2], 0);
}

TEST_F(QueryTest, SubBucketColumnsEqualBruteForceOnAlignedWindows) {
    // Views of ~30 min .. 3 h read 8-frame sub-buckets of decoded chunks, not frames.
    FileSource src({spec_->directory});
    std::mt19937_64 rng(13);
    const int64_t w = spec_->interval_ns * kSubBucketFrames;
    int checked = 0;
    for (int i = 0; i < 30; ++i) {
        int64_t per_col = w * int64_t(2 + rng() % 14);
        size_t n = 100 + rng() % 600;
        if (FileSource::level_for(spec_->interval_ns, per_col) != 0) continue;
        ASSERT_EQ(src.snap_for(0, per_col), w);
        int64_t t0 =
            rec::floor_div(spec_->t0_ns + int64_t(rng() % uint64_t(spec_->duration_ns)) - per_col * int64_t(n) / 2, w) *
            w;
        ColumnGrid g{t0, t0 + per_col * int64_t(n), n};
        for (size_t h = 0; h < 2; ++h) {
            QueryStats st;
            std::vector<Column> got, want;
            src.begin_query();
            src.columns(h, g, got, st);
            ASSERT_EQ(st.level, 0);
            EXPECT_EQ(st.frames_read, 0u) << "sub-buckets, not frames";
            EXPECT_GT(st.nodes_read, 0u);
            brute_force_columns(*frames_, uint32_t(h + 1), g, want);
            ASSERT_EQ(got, want) << "window " << i << " host " << h;
            ++checked;
        }
    }
    EXPECT_GT(checked, 10);
}

// With a deadline already passed, a query does one unit of decoding and draws the rest from a
// coarser level (as spill: no false gaps, nothing counted twice); repeated queries converge to
// exactly the brute-force answer.
void converge_to_exact(const std::vector<zzp_frame>& frames, const SynthSpec& spec, int64_t per_col, size_t n) {
    FileSource src({spec.directory});
    int64_t w = src.snap_for(0, per_col);
    ASSERT_GT(w, 0);
    int64_t t0 = rec::floor_div(spec.t0_ns + spec.duration_ns / 3, w) * w;
    ColumnGrid g{t0, t0 + per_col * int64_t(n), n};
    g.snap = w;
    std::vector<Column> want, got;
    brute_force_columns(frames, 1, g, want);
    int rounds = 0;
    uint64_t first_pending = 0;
    for (;; ++rounds) {
        ASSERT_LT(rounds, 5000);
        QueryStats st;
        st.deadline_ns = 1;  // long passed
        src.begin_query();
        src.columns(0, g, got, st);
        if (rounds == 0) first_pending = st.pending;
        if (st.pending == 0) break;
        for (size_t c = 0; c < n; ++c) {
            if (!want[c].any_frames()) continue;
            ASSERT_TRUE(got[c].any_frames()) << "round " << rounds << " column " << c << ": a false gap";
            ASSERT_LE(got[c].frames, want[c].frames) << "stand-ins are not counted";
        }
    }
    EXPECT_GT(first_pending, 0u);
    EXPECT_GT(rounds, 1);
    EXPECT_EQ(got, want);
}

TEST_F(QueryTest, DeadlineRefinesLevelOneToExact) {
    // 25 s columns: level 1, which format v2 does not store.
    converge_to_exact(*frames_, *spec_, 25'600'000'000LL, 300);
}

TEST_F(QueryTest, DeadlineRefinesFrameChunksToExact) {
    converge_to_exact(*frames_, *spec_, 3'200'000'000LL, 800);
}

TEST_F(QueryTest, UnalignedPyramidColumnsStayCloseToBruteForce) {
    // Off bucket edges a bucket lands in the column holding its midpoint: totals are exact, and
    // every frame is at most half a bucket from its true column.
    FileSource src({spec_->directory});
    ColumnGrid g{spec_->t0_ns - 123'456'789, spec_->t0_ns + spec_->duration_ns + 987'654'321, 777};
    std::vector<Column> got, want;
    QueryStats st;
    src.columns(0, g, got, st);
    EXPECT_GE(st.level, 1);
    brute_force_columns(*frames_, 1, g, want);
    uint64_t a = 0, b = 0, la = 0, lb = 0;
    for (size_t i = 0; i < g.n; ++i) a += got[i].frames, b += want[i].frames, la += got[i].lost, lb += want[i].lost;
    EXPECT_EQ(a, b);
    EXPECT_EQ(la, lb);
    // Envelope maximum of the whole view is the same spike.
    int64_t ma = INT64_MIN, mb = INT64_MIN;
    for (size_t i = 0; i < g.n; ++i) ma = std::max(ma, got[i].max), mb = std::max(mb, want[i].max);
    EXPECT_EQ(ma, mb);
    EXPECT_LT(st.nodes_read, 10 * g.n) << "the query reads a handful of nodes per column";
}

TEST_F(QueryTest, GapIsEmptyColumnsNotData) {
    FileSource src({spec_->directory});
    int64_t a = spec_->t0_ns + 3700'000'000'000LL, b = spec_->t0_ns + 5300'000'000'000LL;
    ColumnGrid g{a, b, 100};
    std::vector<Column> cols;
    QueryStats st;
    src.columns(1, g, cols, st);
    for (const auto& c : cols) EXPECT_FALSE(c.any_frames());
    src.columns(0, g, cols, st);
    for (const auto& c : cols) EXPECT_TRUE(c.any_frames());
}

// Groups of 4 and 16 buckets stand in for their children only where that changes nothing: on
// random grids, aligned or not, the columns equal those of every bucket added one by one, and a
// wide column reads a few group nodes instead of its dozens of buckets.
TEST(LevelNodesGroups, SameColumnsAsEveryBucketWithFarFewerReads) {
    std::mt19937_64 rng(21);
    const int64_t w = 102'400'000'000;  // level 2 of 100 ms frames
    LevelNodes level;
    level.width = w;
    int64_t t = 1'700'000'000'000'000'000 / w * w;
    for (int i = 0; i < 20'000; ++i) {
        t += w * (rng() % 40 == 0 ? int64_t(1 + rng() % 30) : 1);  // gaps of up to 30 buckets
        Node n;
        n.start_ns = t;
        n.width_ns = w;
        n.frames = 1024;
        n.sent = 1024 + rng() % 9;
        n.lost = rng() % 7;
        if (rng() % 5) {
            n.q_count = 1000;
            n.min = int64_t(rng() % 1'000'000);
            n.max = n.min + int64_t(rng() % 9'000'000);
            n.q25_sum = int64_t(rng() % 1'000'000'000);
            n.q50_sum = n.q25_sum + 7;
            n.q75_sum = n.q50_sum + 11;
        }
        level.nodes.push_back(n);
    }
    level.derive_groups();
    const int64_t first = level.nodes.front().start_ns, span = level.nodes.back().start_ns + w - first;
    uint64_t grouped_reads = 0, single_reads = 0;
    for (int i = 0; i < 60; ++i) {
        size_t n = 20 + rng() % 1200;
        int64_t per_col = w * 2 + int64_t(rng() % uint64_t(w * 30));  // 2..32 buckets a column
        int64_t t0 = first - per_col * 3 + int64_t(rng() % uint64_t(span));
        ColumnGrid g{t0, t0 + per_col * int64_t(n), n};
        if (i % 2) g.snap = w;  // aligned columns too
        std::vector<Column> got(n), want(n);
        ColumnWalker grouped(g, got), single(g, want);
        grouped_reads += add_level(level, grouped);
        for (const auto& node : level.nodes) single_reads += single.add_bucket(node);
        ASSERT_EQ(got, want) << "grid " << i;
    }
    EXPECT_GT(single_reads, 0u);
    EXPECT_LT(grouped_reads * 2, single_reads) << grouped_reads << " vs " << single_reads;
}

TEST(ViewerDamagedInput, TruncatedAndForeignFilesAreReportedNotFatal) {
    SynthSpec s;
    s.directory = test::temp_dir("damaged");
    s.hosts = {"a"};
    s.duration_ns = 1200'000'000'000LL;
    s.file_span_ns = 600'000'000'000LL;
    auto files = write_synthetic_recording(s);
    ASSERT_EQ(files.size(), 2u);
    std::filesystem::resize_file(files[1], std::filesystem::file_size(files[1]) / 2);
    { std::ofstream(s.directory + "/garbage.zzr") << "this is not a recording"; }
    FileSource src({s.directory, s.directory + "/missing.zzr"});
    auto p = src.problems();
    ASSERT_GE(p.size(), 3u);
    std::string all;
    for (const auto& x : p) all += x + "\n";
    EXPECT_NE(all.find("garbage.zzr"), std::string::npos) << all;
    EXPECT_NE(all.find("unreadable"), std::string::npos) << all;
    EXPECT_NE(all.find("missing.zzr"), std::string::npos) << all;
    ASSERT_EQ(src.hosts().size(), 1u);
    ColumnGrid g{s.t0_ns, s.t0_ns + 600'000'000'000LL, 100};
    std::vector<Column> cols;
    QueryStats st;
    src.columns(0, g, cols, st);
    for (const auto& c : cols) EXPECT_TRUE(c.any_frames());  // the intact file is all there
    std::filesystem::remove_all(s.directory);
}

TEST(ViewerScale, LogLinearPowerAreMonotonicAndInvertible) {
    for (ScaleMode m : {ScaleMode::linear, ScaleMode::log, ScaleMode::power}) {
        YScale s;
        s.mode = m;
        s.lo_ns = 1e5;
        s.hi_ns = 1e9;
        s.factor = 3;
        double prev = -1e9;
        for (double v = 2e5; v < 1e9; v *= 1.7) {
            double n = s.norm(v);
            EXPECT_GT(n, prev);
            prev = n;
            EXPECT_NEAR(s.value_at(n), v, v * 1e-9);
        }
        EXPECT_NEAR(s.norm(1e9), 1.0, 1e-12);
    }
    YScale lg;
    lg.lo_ns = 1e6, lg.hi_ns = 1e9;
    EXPECT_NEAR(lg.norm(1e7), 1.0 / 3, 1e-9);
    EXPECT_NEAR(lg.norm(1e8), 2.0 / 3, 1e-9);
}

TEST(ViewerScale, AutoRangeIgnoresOneSpike) {
    std::vector<double> maxima(1000, 3e6), minima(1000, 1e6), q(1000, 2e6);
    maxima[500] = 900e6;
    YScale a = fit_scale(ScaleMode::linear, RangeMode::automatic, 2, 0, maxima, minima, q);
    EXPECT_LT(a.hi_ns, 10e6);
    YScale f = fit_scale(ScaleMode::linear, RangeMode::full, 2, 0, maxima, minima, q);
    EXPECT_GT(f.hi_ns, 900e6);
    YScale x = fit_scale(ScaleMode::log, RangeMode::fixed, 2, 50e6, maxima, minima, q);
    EXPECT_EQ(x.hi_ns, 50e6);
}

TEST(ViewerTimeAxis, ReadableFromMillisecondsToMonths) {
    const int64_t t0 = 1'700'000'000'000'000'000;
    auto ms = time_ticks(t0, t0 + 50'000'000, 1000);  // 50 ms
    ASSERT_GE(ms.size(), 3u);
    EXPECT_NE(ms[0].label.find('.'), std::string::npos) << ms[0].label;  // mm:ss.mmm
    auto hour = time_ticks(t0, t0 + 3600'000'000'000LL, 1000);
    ASSERT_GE(hour.size(), 3u);
    EXPECT_EQ(hour[0].label.size(), 5u) << hour[0].label;  // HH:MM
    auto month = time_ticks(t0, t0 + 31 * 86400'000'000'000LL, 1000);
    ASSERT_GE(month.size(), 3u);
    EXPECT_EQ(month[0].label.size(), 10u) << month[0].label;  // YYYY-MM-DD
    EXPECT_LE(month.size(), 12u);
    EXPECT_EQ(reference_lines(YScale{ScaleMode::log, 1e6, 200e6, 2}), (std::vector<double>{3e6, 10e6, 30e6, 100e6}));
}

}  // namespace
}  // namespace zzp::viewer
