// Loading and unloading the same library many times leaves nothing behind: no mapped library,
// no file descriptor, no memory growth beyond a small bound, and each generation gone from
// /proc/self/maps right after its unload (docs/PLUGIN_ABI.md rules L3, H1–H3). Built with
// -DZZP_SANITIZE=ON, LeakSanitizer also checks that nothing a cycle allocated leaked.
#include <gtest/gtest.h>

#include "abi_test_support.hpp"
#include "fake_host.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_library.hpp"

namespace zzp::host {
namespace {
namespace fs = std::filesystem;
using abi_test::plugin;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;  // its quarantine holds freed memory: RSS says nothing
#else
constexpr bool kAddressSanitizer = false;
#endif

// One generation: load, create a sink, write a batch, destroy it, unload. Returns the copy path.
fs::path cycle(test::FakeHost& host) {
    LoadError load_error;
    auto lib = PluginLibrary::open(plugin("good"), {}, &load_error);
    EXPECT_NE(lib, nullptr) << load_error.text();
    if (!lib) return {};
    fs::path copy = lib->loaded_path();
    std::string why;
    auto sink = lib->create("abi-test.good-sink", "s", host.table(), &why);
    EXPECT_NE(sink, nullptr) << why;
    if (sink) {
        std::vector<zzp_sample> samples(16);
        zzp_batch batch{};
        batch.seq = 1;
        batch.kind = ZZP_BATCH_SAMPLES;
        batch.count = static_cast<uint32_t>(samples.size());
        batch.samples = samples.data();
        zzp_error err{};
        EXPECT_EQ(sink->sink_write(batch, &err), ZZP_OK) << err.message;
    }
    sink.reset();
    lib.reset();
    return copy;
}

TEST(LoadCycle, HundredLoadUnloadCyclesLeaveNothingBehind) {
    test::FakeHost host("s");
    for (int i = 0; i < 3; ++i) cycle(host);  // warm-up: first-use allocations of libc, the logger
    const size_t mapped_before = abi_test::mapped_shared_objects();
    const size_t fds_before = abi_test::open_fds();
    const long rss_before = abi_test::rss_kib();

    for (int i = 0; i < 100; ++i) {
        fs::path copy = cycle(host);
        ASSERT_FALSE(copy.empty());
        ASSERT_FALSE(PluginLibrary::is_mapped(copy)) << "generation " << i << " stayed mapped after unload";
        ASSERT_FALSE(fs::exists(copy)) << "generation " << i << " left its private copy behind";
    }

    EXPECT_EQ(abi_test::mapped_shared_objects(), mapped_before);
    EXPECT_EQ(abi_test::open_fds(), fds_before);
    long growth_kib = abi_test::rss_kib() - rss_before;
    std::printf("RSS growth over 100 load/unload cycles: %ld KiB\n", growth_kib);
    if (!kAddressSanitizer) {
        EXPECT_LT(growth_kib, 2048) << "memory grows with every load";
    }
}

}  // namespace
}  // namespace zzp::host
