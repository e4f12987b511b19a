// Config errors come back as ZZP_E_CONFIG naming the key; the shipped sample configures.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "probe_harness.hpp"

namespace zzp::icmp::test {
namespace {

struct BadConfig {
    const char* toml;
    const char* key;
};

class ConfigError : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigError, IsRefusedWithTheKey) {
    ProbeRun run(GetParam().toml);
    EXPECT_EQ(run.configure(), ZZP_E_CONFIG);
    EXPECT_STREQ(run.error().key, GetParam().key);
    EXPECT_GT(std::strlen(run.error().message), 20u) << run.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Icmp, ConfigError,
    ::testing::Values(BadConfig{"targets = [\"127.0.0.1\"]\nrate = 0.05", "rate"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nrate = 1001", "rate"},
                      BadConfig{"targets = [\"127.0.0.1\", \"300.1.2.3\"]", "targets[1]"},
                      BadConfig{"targets = [\"::1::2\"]", "targets[0]"},
                      BadConfig{"targets = [\"bad host!\"]", "targets[0]"},
                      BadConfig{"targets = [\"127.0.0.1\", \"127.0.0.1\"]", "targets[1]"},
                      BadConfig{"targets = []", "targets"}, BadConfig{"rate = 10", "targets"},
                      BadConfig{"targets = [\"127.0.0.1\"]\npayload_size = 8", "payload_size"},
                      BadConfig{"targets = [\"127.0.0.1\"]\ntimeout = \"0ms\"", "timeout"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nttl = 256", "ttl"},
                      BadConfig{"targets = [\"127.0.0.1\"]\ndscp = 64", "dscp"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nsource = \"eth0\"", "source"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nsocket_mode = \"icmp\"", "socket_mode"},
                      BadConfig{"targets = [\"::1\"]\nsource = \"127.0.0.1\"", "targets[0]"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nfamily = \"ipx\"", "family"},
                      BadConfig{"targets = [\"127.0.0.1\"]\nsender_priority = 100", "sender_priority"},
                      BadConfig{"targets = [\"127.0.0.1\"]\ntransmit_timestamps = \"yes\"", "transmit_timestamps"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) {
        std::string name = std::to_string(info.index) + "_";
        for (const char* p = info.param.key; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
        return name;
    });

TEST(IcmpConfig, ShippedSampleConfiguresAndNamesOnlyLoopback) {
    std::ifstream in(std::string(ZZP_SOURCE_DIR) + "/plugins/icmp/sample.toml");
    std::stringstream text;
    text << in.rdbuf();
    toml::table doc = toml::parse(text.str());
    const toml::table* probe = doc["probe"][0].as_table();
    ASSERT_NE(probe, nullptr);
    EXPECT_EQ(probe->get("plugin")->value<std::string>(), "icmp");
    std::stringstream table;
    table << *probe;
    for (const auto& t : *probe->get("targets")->as_array()) {
        std::string target = *t.value<std::string>();
        EXPECT_TRUE(target == "127.0.0.1" || target == "::1") << target;
    }
    ProbeRun run(table.str());
    EXPECT_EQ(run.configure(), ZZP_OK) << run.error().message;
}

TEST(IcmpConfig, DescriptorDeclaresEveryKeyWithDefaults) {
    const zzp_plugin_descriptor* d = icmp_library()->get_descriptor(0);
    ASSERT_NE(d, nullptr);
    EXPECT_STREQ(d->id, "icmp");
    EXPECT_EQ(d->kind, uint32_t(ZZP_KIND_PROBE));
    for (uint32_t i = 0; i < d->config_key_count; ++i) {
        const zzp_config_key& k = d->config_keys[i];
        bool required = k.flags & ZZP_KEY_REQUIRED;
        EXPECT_TRUE(required || k.default_value != nullptr) << k.key;
        EXPECT_NE(std::strstr(d->sample_config, k.key), nullptr) << k.key << " missing from sample.toml";
    }
}

}  // namespace
}  // namespace zzp::icmp::test
