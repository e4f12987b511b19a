// The synthetic probe's pure parts: settings, the attempt model and the send schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fake_host.hpp>
#include <string>
#include <vector>

#include "attempt_model.hpp"
#include "send_schedule.hpp"
#include "synthetic_descriptor.hpp"
#include "synthetic_settings.hpp"

namespace zzp::synthetic {
namespace {

SyntheticSettings settings_from(const std::string& toml) {
    test::FakeConfig config(toml);
    return read_settings(zzp::Config(config.table()));
}

TEST(SyntheticSettings, MissingOptionalKeysGetTheDefaults) {
    SyntheticSettings s = settings_from("targets = [\"a\"]");
    EXPECT_EQ(s.rate, 10.0);
    EXPECT_EQ(s.rtt_ns, 2'000'000);
    EXPECT_EQ(s.timeout_ns, 1'000'000'000);
    EXPECT_EQ(s.burst_length_ns, 300'000'000);
}

TEST(SyntheticSettings, SchemaDefaultsAreTheSameValues) {
    // Write every schema default as TOML, the way the host fills them in, and compare.
    std::string toml = "targets = [\"a\"]\n";
    const zzp_plugin_descriptor& d = kSyntheticDescriptor;
    for (uint32_t i = 0; i < d.config_key_count; ++i)
        if (d.config_keys[i].default_value)
            toml += std::string(d.config_keys[i].key) + " = " + d.config_keys[i].default_value + "\n";
    SyntheticSettings from_schema = settings_from(toml);
    SyntheticSettings built_in = settings_from("targets = [\"a\"]");
    EXPECT_EQ(from_schema.rate, built_in.rate);
    EXPECT_EQ(from_schema.rtt_ns, built_in.rtt_ns);
    EXPECT_EQ(from_schema.rtt_spread, built_in.rtt_spread);
    EXPECT_EQ(from_schema.loss, built_in.loss);
    EXPECT_EQ(from_schema.burst_loss, built_in.burst_loss);
    EXPECT_EQ(from_schema.burst_length_ns, built_in.burst_length_ns);
    EXPECT_EQ(from_schema.spike_rate, built_in.spike_rate);
    EXPECT_EQ(from_schema.spike_rtt_ns, built_in.spike_rtt_ns);
    EXPECT_EQ(from_schema.timeout_ns, built_in.timeout_ns);
    EXPECT_EQ(from_schema.seed, built_in.seed);
}

void expect_config_error(const std::string& toml, const std::string& key, const std::string& words) {
    try {
        settings_from(toml);
        FAIL() << "accepted: " << toml;
    } catch (const zzp::Error& e) {
        EXPECT_EQ(e.status(), ZZP_E_CONFIG) << toml;
        EXPECT_EQ(e.key(), key) << toml;
        EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
}

TEST(SyntheticSettings, BadValuesNameTheKeyAndTheRange) {
    expect_config_error("targets = [\"a\"]\nrate = 0", "rate", "between 0.1 and 100000");
    expect_config_error("targets = [\"a\"]\nrate = 200000.0", "rate", "between 0.1 and 100000");
    expect_config_error("targets = [\"a\"]\nloss = 1.5", "loss", "between 0 and 1");
    expect_config_error("targets = [\"a\"]\nloss = -0.1", "loss", "between 0 and 1");
    expect_config_error("targets = [\"a\"]\nrtt = \"0ms\"", "rtt", "between 1us and 60s");
    expect_config_error("targets = [\"a\"]\ntimeout = \"0s\"", "timeout", "between 1ms and 60s");
    expect_config_error("targets = [\"a\"]\nrtt_spread = 5", "rtt_spread", "between 0 and 3");
    expect_config_error("targets = [\"a\"]\nseed = -1", "seed", "positive");
    expect_config_error("targets = []", "targets", "at least one target");
    expect_config_error("targets = [\"a\", \"b\", \"a\"]", "targets[2]", "listed twice");
    expect_config_error("targets = [\"\"]", "targets[0]", "must not be empty");
    expect_config_error("rate = 5", "targets", "missing");
    expect_config_error("targets = [\"a\"]\nrate = \"fast\"", "rate", "must be a number");
}

std::vector<AttemptOutcome> draw(const SyntheticSettings& s, size_t count) {
    AttemptModel model(s, 1, 42);
    std::vector<AttemptOutcome> out;
    const double period_ns = 1e9 / s.rate;
    for (size_t i = 0; i < count; ++i) out.push_back(model.next(0, static_cast<int64_t>(i * period_ns)));
    return out;
}

double median_rtt_ms(const std::vector<AttemptOutcome>& outcomes) {
    std::vector<int64_t> rtts;
    for (const auto& o : outcomes)
        if (o.replied) rtts.push_back(o.rtt_ns);
    std::sort(rtts.begin(), rtts.end());
    return rtts.empty() ? -1 : static_cast<double>(rtts[rtts.size() / 2]) / 1e6;
}

TEST(AttemptModel, LossFractionMatchesTheSetting) {
    SyntheticSettings s = settings_from("targets = [\"a\"]\nloss = 0.1\nrate = 1000");
    auto outcomes = draw(s, 100000);
    double lost =
        static_cast<double>(std::count_if(outcomes.begin(), outcomes.end(), [](auto& o) { return !o.replied; }));
    EXPECT_NEAR(lost / 100000.0, 0.1, 0.005);
}

TEST(AttemptModel, RttMedianMatchesTheSetting) {
    SyntheticSettings s = settings_from("targets = [\"a\"]\nrtt = \"7ms\"\nrtt_spread = 0.5");
    auto outcomes = draw(s, 50000);
    EXPECT_NEAR(median_rtt_ms(outcomes), 7.0, 7.0 * 0.03);
}

TEST(AttemptModel, ZeroSpreadGivesTheMedianExactly) {
    SyntheticSettings s = settings_from("targets = [\"a\"]\nrtt = \"3ms\"\nrtt_spread = 0.0");
    for (const auto& o : draw(s, 1000)) {
        ASSERT_TRUE(o.replied);
        ASSERT_EQ(o.rtt_ns, 3'000'000);
    }
}

TEST(AttemptModel, RttAboveTheTimeoutIsALoss) {
    SyntheticSettings s = settings_from("targets = [\"a\"]\nrtt = \"50ms\"\nrtt_spread = 0.0\ntimeout = \"40ms\"");
    for (const auto& o : draw(s, 100)) ASSERT_FALSE(o.replied);
}

TEST(AttemptModel, DropoutBurstsLoseEveryAttemptForTheirLength) {
    // 1000 attempts/s, one burst per second on average, 300 ms each: runs of exactly 300
    // consecutive losses (or longer, when a new burst starts right as one ends).
    SyntheticSettings s = settings_from("targets = [\"a\"]\nrate = 1000\nburst_loss = 1.0\nburst_length = \"300ms\"");
    auto outcomes = draw(s, 60000);
    std::vector<size_t> runs;
    size_t run = 0;
    for (const auto& o : outcomes) {
        if (!o.replied)
            ++run;
        else if (run)
            runs.push_back(std::exchange(run, 0));
    }
    ASSERT_GT(runs.size(), 20u);
    size_t exact = 0;
    for (size_t r : runs) {
        EXPECT_GE(r, 300u);
        EXPECT_EQ(r % 300, 0u);
        exact += r == 300;
    }
    EXPECT_GE(exact, runs.size() * 3 / 4);
}

TEST(AttemptModel, SpikesAddTheSpikeRttAtTheirRate) {
    // 1000 attempts/s, 10 spikes/s: about 1 % of replies carry +100 ms.
    SyntheticSettings s =
        settings_from("targets = [\"a\"]\nrate = 1000\nspike_rate = 10\nspike_rtt = \"100ms\"\nrtt_spread = 0.1");
    auto outcomes = draw(s, 100000);
    double spikes = static_cast<double>(
        std::count_if(outcomes.begin(), outcomes.end(), [](auto& o) { return o.replied && o.rtt_ns > 90'000'000; }));
    EXPECT_NEAR(spikes / 100000.0, 0.01, 0.002);
}

TEST(AttemptModel, SameSeedSameOutcomes) {
    SyntheticSettings s = settings_from("targets = [\"a\"]\nloss = 0.3");
    auto a = draw(s, 1000), b = draw(s, 1000);
    for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].replied, b[i].replied);
        ASSERT_EQ(a[i].rtt_ns, b[i].rtt_ns);
    }
}

TEST(SendSchedule, TargetsArePhaseSpreadEvenly) {
    SendSchedule schedule(10.0, 4, 1'000'000'000);  // period 100 ms, 4 targets: a send every 25 ms
    for (int k = 0; k < 12; ++k) {
        EXPECT_EQ(schedule.next_target(), static_cast<size_t>(k % 4));
        EXPECT_EQ(schedule.next_time_ns(), 1'000'000'000 + k * 25'000'000);
        schedule.advance();
    }
}

TEST(SendSchedule, DoesNotDriftOverAMillionSlots) {
    SendSchedule schedule(3.0, 1, 0);  // 333.33 ms: not a whole number of ns
    for (int k = 0; k < 1'000'000; ++k) schedule.advance();
    EXPECT_NEAR(static_cast<double>(schedule.next_time_ns()), 1e6 * 1e9 / 3.0, 1.0);
}

TEST(SendSchedule, StallSkipsStaleSlotsInsteadOfBursting) {
    SendSchedule schedule(100.0, 1, 0);  // every 10 ms
    EXPECT_EQ(schedule.skip_stale(5'000'000, 20'000'000), 0u);
    // Woken 2 s late: only slots within the 20 ms tolerance are still sent.
    uint64_t skipped = schedule.skip_stale(2'000'000'000, 20'000'000);
    EXPECT_EQ(skipped, 198u);
    EXPECT_EQ(schedule.next_time_ns(), 1'980'000'000);
}

}  // namespace
}  // namespace zzp::synthetic
