// The synthetic probe run in-process through the C ABI (the helper's create_instance) against a
// FakeHost: schedule, settling, stop, state hand-over and configuration errors.
#include "synthetic_probe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstring>
#include <fake_host.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "synthetic_descriptor.hpp"

namespace zzp::synthetic {
namespace {

using Clock = std::chrono::steady_clock;

int64_t mono_now() {
    return monotonic_now_ns();
}

// One probe instance created through the plugin's C tables, destroyed at scope end.
class Probe {
public:
    Probe() {
        static const zzp::PluginEntry entry = zzp::entry<SyntheticProbe>(kSyntheticDescriptor);
        plugin_ = zzp::detail::create_instance(entry, host.table(), &error);
        EXPECT_NE(plugin_, nullptr) << error.message;
    }
    ~Probe() {
        if (plugin_) plugin_->destroy(plugin_);
    }
    zzp_status configure(const std::string& toml) {
        test::FakeConfig config(toml);
        return plugin_->configure(plugin_, config.table(), &error);
    }
    zzp_status start() { return plugin_->start(plugin_, &error); }
    zzp_status stop(int64_t deadline_mono_ns) { return plugin_->stop(plugin_, deadline_mono_ns, &error); }
    const zzp_state_ext* state() const {
        return static_cast<const zzp_state_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_STATE));
    }
    const zzp_plugin* raw() const { return plugin_; }

    test::FakeHost host;
    zzp_error error{sizeof(zzp_error), 0, {}, {}};

private:
    const zzp_plugin* plugin_ = nullptr;
};

// Runs the probe for `run_for` and stops it with a generous deadline; returns the seconds it ran.
double run_for(Probe& probe, std::chrono::milliseconds run_for) {
    auto begin = Clock::now();
    EXPECT_EQ(probe.start(), ZZP_OK) << probe.error.message;
    std::this_thread::sleep_for(run_for);
    auto end = Clock::now();
    EXPECT_EQ(probe.stop(mono_now() + 3'000'000'000), ZZP_OK) << probe.error.message;
    return std::chrono::duration<double>(end - begin).count();
}

std::map<uint32_t, std::vector<zzp_sample>> by_target(const std::vector<zzp_sample>& samples, uint16_t status) {
    std::map<uint32_t, std::vector<zzp_sample>> out;
    for (const zzp_sample& s : samples)
        if (s.status == status) out[s.target_id].push_back(s);
    return out;
}

TEST(SyntheticProbe, InternsEachTargetWithASyntheticAddress) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"router\", \"isp\"]\nrate = 50"), ZZP_OK);
    run_for(probe, std::chrono::milliseconds(50));
    auto targets = probe.host.targets();
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(targets.begin()->second, "router|synthetic:router");
    EXPECT_EQ(targets.rbegin()->second, "isp|synthetic:isp");
}

TEST(SyntheticProbe, HoldsTheAskedRate) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\", \"b\", \"c\"]\nrate = 200\nseed = 1"), ZZP_OK);
    double seconds = run_for(probe, std::chrono::milliseconds(1500));
    auto sent = by_target(probe.host.samples(), ZZP_SAMPLE_SENT);
    ASSERT_EQ(sent.size(), 3u);
    for (auto& [id, list] : sent) {
        double expected = 200.0 * seconds;
        // Generous: start-up and the last partial millisecond, on a noisy shared machine.
        EXPECT_NEAR(static_cast<double>(list.size()), expected, expected * 0.05 + 3) << "target " << id;
    }
}

TEST(SyntheticProbe, EverySentIsSettledExactlyOnceWithIncreasingSequence) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\", \"b\"]\nrate = 500\nloss = 0.2\ntimeout = \"50ms\"\n"
                              "burst_loss = 2.0\nburst_length = \"100ms\"\nseed = 7"),
              ZZP_OK);
    run_for(probe, std::chrono::milliseconds(1000));
    std::map<std::pair<uint32_t, uint64_t>, int> sent, settled;
    std::map<uint32_t, uint64_t> last_sent_seq;
    for (const zzp_sample& s : probe.host.samples()) {
        auto key = std::make_pair(s.target_id, s.seq);
        if (s.status == ZZP_SAMPLE_SENT) {
            ++sent[key];
            EXPECT_EQ(s.seq, last_sent_seq[s.target_id] + 1) << "sequence must increase from 1 without gaps";
            last_sent_seq[s.target_id] = s.seq;
        } else {
            ASSERT_TRUE(zzp_sample_settles(s.status)) << "status " << s.status;
            EXPECT_EQ(sent.count(key), 1u) << "settled before it was announced";
            ++settled[key];
            if (s.status == ZZP_SAMPLE_REPLY)
                EXPECT_GT(s.rtt_ns, 0);
            else
                EXPECT_EQ(s.rtt_ns, -1);
        }
    }
    ASSERT_GT(sent.size(), 800u);
    EXPECT_EQ(sent.size(), settled.size());
    for (auto& [key, count] : sent) EXPECT_EQ(count, 1);
    for (auto& [key, count] : settled) EXPECT_EQ(count, 1) << "target " << key.first << " seq " << key.second;
}

TEST(SyntheticProbe, LossAndRttCloseToAsked) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\"]\nrate = 3000\nloss = 0.1\nrtt = \"5ms\"\n"
                              "timeout = \"30ms\"\nseed = 1234"),
              ZZP_OK);
    run_for(probe, std::chrono::milliseconds(1000));
    std::vector<int64_t> rtts;
    size_t lost = 0;
    for (const zzp_sample& s : probe.host.samples()) {
        if (s.status == ZZP_SAMPLE_REPLY) rtts.push_back(s.rtt_ns);
        if (s.status == ZZP_SAMPLE_LOST) ++lost;
    }
    double settled = static_cast<double>(rtts.size() + lost);
    ASSERT_GT(settled, 2000);
    EXPECT_NEAR(static_cast<double>(lost) / settled, 0.1, 0.025);
    std::sort(rtts.begin(), rtts.end());
    EXPECT_NEAR(static_cast<double>(rtts[rtts.size() / 2]) / 1e6, 5.0, 0.25);
}

TEST(SyntheticProbe, RepliesOvertakenByLaterOnesAreFlaggedReordered) {
    // A wide RTT spread at 1000/s: replies overtake each other. A reply is flagged exactly when
    // a later sequence of the same target was answered before it.
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\"]\nrate = 1000\nrtt = \"5ms\"\nrtt_spread = 1.0\nseed = 5"), ZZP_OK);
    run_for(probe, std::chrono::milliseconds(300));
    uint64_t highest = 0;
    size_t flagged = 0;
    for (const zzp_sample& s : probe.host.samples()) {
        if (s.status != ZZP_SAMPLE_REPLY) continue;
        bool reordered = (s.flags & ZZP_SAMPLE_F_REORDERED) != 0;
        EXPECT_EQ(reordered, s.seq < highest) << "seq " << s.seq;
        flagged += reordered;
        highest = std::max(highest, s.seq);
    }
    EXPECT_GT(flagged, 0u);
}

TEST(SyntheticProbe, TargetsNeverSendAtTheSameInstant) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\", \"b\", \"c\", \"d\"]\nrate = 100"), ZZP_OK);
    run_for(probe, std::chrono::milliseconds(500));
    std::vector<zzp_sample> sent;
    for (const zzp_sample& s : probe.host.samples())
        if (s.status == ZZP_SAMPLE_SENT) sent.push_back(s);
    std::sort(sent.begin(), sent.end(), [](auto& a, auto& b) { return a.sent_wall_ns < b.sent_wall_ns; });
    ASSERT_GT(sent.size(), 100u);
    // 4 targets at 100/s: one send every 2.5 ms, each target in turn. A thread that waited for
    // a CPU longer than a slot skips that slot rather than bursting (a gap of k slots), so on a
    // loaded machine a few gaps are multiples of 2.5 ms; never shorter, never off the grid.
    size_t skipped = 0;
    for (size_t i = 1; i < sent.size(); ++i) {
        EXPECT_NE(sent[i].target_id, sent[i - 1].target_id);
        const double gap = static_cast<double>(sent[i].sent_wall_ns - sent[i - 1].sent_wall_ns);
        const double slots = std::round(gap / 2.5e6);
        EXPECT_GE(slots, 1.0) << "two sends in one slot at " << i;
        EXPECT_NEAR(gap, slots * 2.5e6, 2e3) << "send " << i << " off the schedule";
        skipped += static_cast<size_t>(slots) - 1;
    }
    EXPECT_LT(skipped, sent.size() / 4) << "most slots skipped";
}

TEST(SyntheticProbe, StopJoinsAndNothingIsEmittedAfterIt) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\"]\nrate = 1000\nloss = 0.5\ntimeout = \"300ms\""), ZZP_OK);
    ASSERT_EQ(probe.start(), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto stop_called = Clock::now();
    ASSERT_EQ(probe.stop(mono_now() + 5'000'000'000), ZZP_OK);
    // Pending losses settle when their 300 ms timeout falls due, not at once and not later.
    EXPECT_LT(Clock::now() - stop_called, std::chrono::milliseconds(2000));
    size_t at_stop = probe.host.samples().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(probe.host.samples().size(), at_stop);
    auto all = probe.host.samples();
    size_t sent = std::count_if(all.begin(), all.end(), [](auto& s) { return s.status == ZZP_SAMPLE_SENT; });
    size_t settled = std::count_if(all.begin(), all.end(), [](auto& s) { return zzp_sample_settles(s.status); });
    EXPECT_EQ(sent, settled);
}

TEST(SyntheticProbe, StopBeforeTheTimeoutsSettlesWithTheDrawnOutcomes) {
    // A 10 s timeout and a 300 ms stop deadline: stop returns by the deadline with every attempt
    // settled, each as it was drawn (the replies stay replies; only real losses are LOST).
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\"]\nrate = 500\nloss = 0.3\ntimeout = \"10s\"\nrtt = \"1ms\""), ZZP_OK);
    ASSERT_EQ(probe.start(), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto stop_called = Clock::now();
    ASSERT_EQ(probe.stop(mono_now() + 300'000'000), ZZP_OK);
    EXPECT_LT(Clock::now() - stop_called, std::chrono::milliseconds(600));
    auto all = probe.host.samples();
    size_t sent = std::count_if(all.begin(), all.end(), [](auto& s) { return s.status == ZZP_SAMPLE_SENT; });
    size_t lost = std::count_if(all.begin(), all.end(), [](auto& s) { return s.status == ZZP_SAMPLE_LOST; });
    size_t replies = std::count_if(all.begin(), all.end(), [](auto& s) { return s.status == ZZP_SAMPLE_REPLY; });
    EXPECT_EQ(sent, lost + replies);
    EXPECT_NEAR(static_cast<double>(lost) / static_cast<double>(sent), 0.3, 0.1);
}

TEST(SyntheticProbe, StateHandOverContinuesTheSequences) {
    const std::string config = "targets = [\"a\", \"b\"]\nrate = 200";
    std::string state;
    std::map<std::string, uint64_t> last_seq_by_name;
    {
        Probe old_probe;
        ASSERT_EQ(old_probe.configure(config), ZZP_OK);
        run_for(old_probe, std::chrono::milliseconds(200));
        auto names = old_probe.host.targets();
        for (const zzp_sample& s : old_probe.host.samples())
            last_seq_by_name[names[s.target_id]] = std::max(last_seq_by_name[names[s.target_id]], s.seq);
        const zzp_state_ext* ext = old_probe.state();
        ASSERT_NE(ext, nullptr);
        zzp_ostream out{sizeof(zzp_ostream), 0, &state, [](const zzp_ostream* s, const void* data, uint64_t size) {
                            static_cast<std::string*>(s->host_data)->append(static_cast<const char*>(data), size);
                            return ZZP_OK;
                        }};
        ASSERT_EQ(ext->save(old_probe.raw(), &out, &old_probe.error), ZZP_OK);
    }
    ASSERT_EQ(last_seq_by_name.size(), 2u);

    Probe successor;
    // The successor lists a new target too: it starts at 1, the others continue.
    ASSERT_EQ(successor.configure("targets = [\"b\", \"a\", \"new\"]\nrate = 200"), ZZP_OK);
    const zzp_state_ext* ext = successor.state();
    ASSERT_NE(ext, nullptr);
    ASSERT_TRUE(ext->accepts_format(successor.raw(), ext->format));
    struct Reader {
        const std::string* bytes;
        size_t pos = 0;
    } reader{&state};
    zzp_istream in{sizeof(zzp_istream), 0, &reader, [](const zzp_istream* s, void* buffer, uint64_t size) -> int64_t {
                       auto* r = static_cast<Reader*>(s->host_data);
                       size_t n = std::min<size_t>(size, r->bytes->size() - r->pos);
                       std::memcpy(buffer, r->bytes->data() + r->pos, n);
                       r->pos += n;
                       return static_cast<int64_t>(n);
                   }};
    ASSERT_EQ(ext->load(successor.raw(), ext->format, &in, &successor.error), ZZP_OK) << successor.error.message;
    run_for(successor, std::chrono::milliseconds(100));
    auto names = successor.host.targets();
    std::map<std::string, uint64_t> first_seq;
    for (const zzp_sample& s : successor.host.samples())
        if (s.status == ZZP_SAMPLE_SENT && !first_seq.count(names[s.target_id])) first_seq[names[s.target_id]] = s.seq;
    EXPECT_EQ(first_seq["a|synthetic:a"], last_seq_by_name["a|synthetic:a"] + 1);
    EXPECT_EQ(first_seq["b|synthetic:b"], last_seq_by_name["b|synthetic:b"] + 1);
    EXPECT_EQ(first_seq["new|synthetic:new"], 1u);
}

TEST(SyntheticProbe, UnknownStateFormatIsRefused) {
    Probe probe;
    ASSERT_EQ(probe.configure("targets = [\"a\"]"), ZZP_OK);
    EXPECT_FALSE(probe.state()->accepts_format(probe.raw(), 99));
}

TEST(SyntheticProbe, BadConfigIsAConfigErrorNamingTheKey) {
    struct Case {
        const char* toml;
        const char* key;
    } cases[] = {
        {"targets = [\"a\"]\nrate = 0", "rate"},
        {"targets = [\"a\"]\nloss = 1.5", "loss"},
        {"targets = [\"a\"]\nburst_loss = -1.0", "burst_loss"},
        {"targets = [\"a\"]\nburst_length = \"0ms\"", "burst_length"},
    };
    for (const Case& c : cases) {
        Probe probe;
        EXPECT_EQ(probe.configure(c.toml), ZZP_E_CONFIG) << c.toml;
        EXPECT_STREQ(probe.error.key, c.key) << c.toml;
        EXPECT_GT(std::strlen(probe.error.message), 10u);
    }
}

TEST(SyntheticProbe, ShippedSampleConfigIsValid) {
    // sample.toml is embedded verbatim in the descriptor and its probe table configures cleanly.
    std::ifstream file(ZZP_SOURCE_DIR "/plugins/synthetic/sample.toml");
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_EQ(text.str(), kSyntheticDescriptor.sample_config);
    toml::table root = toml::parse(text.str());
    const toml::table* probe_table = root["probe"][0].as_table();
    ASSERT_NE(probe_table, nullptr);
    EXPECT_EQ(probe_table->get("plugin")->value<std::string>(), "synthetic");
    std::stringstream instance;
    instance << *probe_table;
    Probe probe;
    EXPECT_EQ(probe.configure(instance.str()), ZZP_OK) << probe.error.message;
}

}  // namespace
}  // namespace zzp::synthetic
