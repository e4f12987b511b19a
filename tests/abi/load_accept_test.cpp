// Libraries the loader accepts: metadata, private copies, generations, zero-extension of an
// older table, a newer minor with an all-zero tail, and overwriting a loaded file in place
// (docs/PLUGIN_ABI.md rules E1, G1, G2, L1–L4).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "abi_test_support.hpp"
#include "fake_host.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_library.hpp"

namespace zzp::host {
namespace {
namespace fs = std::filesystem;
using abi_test::plugin;
using abi_test::TempDir;
using ::testing::HasSubstr;

std::shared_ptr<PluginLibrary> open_ok(const fs::path& file, OpenOptions options = {}) {
    LoadError err;
    auto lib = PluginLibrary::open(file, options, &err);
    EXPECT_NE(lib, nullptr) << err.text();
    return lib;
}

TEST(LoadAccept, GoodLibraryDescribesItself) {
    auto lib = open_ok(plugin("good"));
    ASSERT_NE(lib, nullptr);
    EXPECT_EQ(lib->path(), plugin("good"));
    EXPECT_EQ(lib->name(), "zzp-abi-good");
    EXPECT_EQ(lib->version(), "1.0.0");
    EXPECT_EQ(lib->abi_major(), 1u);
    EXPECT_EQ(lib->abi_minor(), static_cast<uint32_t>(ZZP_ABI_MINOR));
    ASSERT_EQ(lib->descriptors().size(), 2u);
    const zzp_plugin_descriptor* probe = lib->find("abi-test.good-probe");
    const zzp_plugin_descriptor* sink = lib->find("abi-test.good-sink");
    ASSERT_NE(probe, nullptr);
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(probe->kind, static_cast<uint32_t>(ZZP_KIND_PROBE));
    EXPECT_EQ(sink->kind, static_cast<uint32_t>(ZZP_KIND_SINK));
    EXPECT_EQ(probe->config_key_count, 1u);
    EXPECT_STREQ(probe->config_keys[0].key, "target");
    EXPECT_THAT(probe->sample_config, HasSubstr("abi-test.good-probe"));
    EXPECT_EQ(lib->find("abi-test.nothing"), nullptr);
    EXPECT_THAT(lib->origin(), HasSubstr(plugin("good").string() + " gen "));
}

TEST(LoadAccept, MapsAPrivateCopyNotTheOriginal) {
    auto lib = open_ok(plugin("good"));
    ASSERT_NE(lib, nullptr);
    EXPECT_NE(lib->loaded_path(), lib->path());
    EXPECT_THAT(lib->loaded_path().filename().string(),
                HasSubstr("gen" + std::to_string(lib->generation()) + "-zzp-abi-good.so"));
    EXPECT_TRUE(PluginLibrary::is_mapped(lib->loaded_path()));
    EXPECT_FALSE(PluginLibrary::is_mapped(lib->path()));
    fs::path copy = lib->loaded_path();
    lib.reset();
    EXPECT_FALSE(PluginLibrary::is_mapped(copy)) << "the library stayed mapped after unload";
    EXPECT_FALSE(fs::exists(copy)) << "the private copy was not deleted";
}

TEST(LoadAccept, EveryOpenIsANewGeneration) {
    auto first = open_ok(plugin("good"));
    auto second = open_ok(plugin("good"));
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_GT(second->generation(), first->generation());
    EXPECT_NE(first->loaded_path(), second->loaded_path());
    EXPECT_EQ(PluginLibrary::generations_opened(), second->generation());
}

TEST(LoadAccept, WithoutPrivateCopyMapsTheFileItself) {
    OpenOptions options;
    options.private_copy = false;
    auto lib = open_ok(plugin("good"), options);
    ASSERT_NE(lib, nullptr);
    EXPECT_EQ(lib->loaded_path(), lib->path());
    EXPECT_TRUE(PluginLibrary::is_mapped(plugin("good")));
    lib.reset();
    EXPECT_FALSE(PluginLibrary::is_mapped(plugin("good")));
    EXPECT_TRUE(fs::exists(plugin("good"))) << "the loader deleted a file it did not create";
}

TEST(LoadAccept, NewerMinorWithZeroTailIsAccepted) {
    auto lib = open_ok(plugin("newer-minor-clean"));
    ASSERT_NE(lib, nullptr);
    EXPECT_EQ(lib->abi_minor(), static_cast<uint32_t>(ZZP_ABI_MINOR + 1));
    EXPECT_NE(lib->find("abi-test.newer-minor"), nullptr);
}

TEST(LoadAccept, OverwritingTheLoadedFileInPlaceIsHarmless) {
    TempDir dir;
    fs::path file = dir / "zzp-abi-swapped.so";
    fs::copy_file(plugin("good"), file);
    auto old_gen = open_ok(file);
    ASSERT_NE(old_gen, nullptr);

    // Overwrite the same inode in place (what `cp new.so old.so` does), with another library.
    fs::copy_file(plugin("newer-minor-clean"), file, fs::copy_options::overwrite_existing);

    // The old generation still works: its code comes from its private copy.
    test::FakeHost host("p1");
    std::string why;
    auto instance = old_gen->create("abi-test.good-probe", "p1", host.table(), &why);
    ASSERT_NE(instance, nullptr) << why;
    zzp_error err = {};
    EXPECT_EQ(instance->start(&err), ZZP_OK) << err.message;
    EXPECT_EQ(instance->stop(host.table()->mono_now_ns(host.table()) + 2'000'000'000, &err), ZZP_OK) << err.message;
    EXPECT_EQ(host.samples().size(), 1u);

    // Opening the path again loads the new contents, as a new generation.
    auto new_gen = open_ok(file);
    ASSERT_NE(new_gen, nullptr);
    EXPECT_EQ(new_gen->name(), "zzp-abi-newer-minor");
    EXPECT_GT(new_gen->generation(), old_gen->generation());
}

TEST(LoadAccept, InstancesKeepTheirLibraryLoaded) {
    auto lib = open_ok(plugin("good"));
    ASSERT_NE(lib, nullptr);
    fs::path copy = lib->loaded_path();
    test::FakeHost host("s1");
    std::string why;
    auto instance = lib->create("abi-test.good-sink", "s1", host.table(), &why);
    ASSERT_NE(instance, nullptr) << why;
    lib.reset();
    EXPECT_TRUE(PluginLibrary::is_mapped(copy)) << "the library was unloaded under a live instance";
    EXPECT_EQ(instance->plugin_id(), "abi-test.good-sink");
    instance.reset();
    EXPECT_FALSE(PluginLibrary::is_mapped(copy));
}

TEST(LoadAccept, CreateOfAnUnknownIdFails) {
    auto lib = open_ok(plugin("good"));
    ASSERT_NE(lib, nullptr);
    test::FakeHost host;
    std::string why;
    EXPECT_EQ(lib->create("abi-test.nothing", "x", host.table(), &why), nullptr);
    EXPECT_THAT(why, HasSubstr("no plugin 'abi-test.nothing'"));
    EXPECT_THAT(why, HasSubstr(plugin("good").string()));
}

}  // namespace
}  // namespace zzp::host
