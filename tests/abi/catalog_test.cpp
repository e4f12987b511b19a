// Plugin discovery: search order (config dirs, ZZPROBE_PLUGIN_PATH, install dir), first id
// wins with a warning naming both paths, broken libraries reported without stopping the scan
// (docs/PLUGIN_ABI.md rules P1–P4).
#include "loader/catalog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "abi_test_support.hpp"

namespace zzp::host {
namespace {
namespace fs = std::filesystem;
using abi_test::plugin;
using abi_test::TempDir;
using ::testing::HasSubstr;

// Sets an environment variable for the scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
    ~ScopedEnv() { ::unsetenv(name_); }

private:
    const char* name_;
};

PluginCatalog::Options without_install_dir() {
    PluginCatalog::Options o;
    o.use_install_dir = false;
    return o;
}

bool has_problem_for(const PluginCatalog& c, const fs::path& file, const std::string& what) {
    for (const LoadError& e : c.problems())
        if (e.path == file.string() && e.what.find(what) != std::string::npos) return true;
    return false;
}

TEST(Catalog, FindsGoodLibrariesAndReportsBrokenOnesWithoutStopping) {
    TempDir dir;
    // Names sort broken ones first, so the scan must go on past them.
    fs::copy_file(plugin("wrong-major"), dir / "a-wrong-major.so");
    std::ofstream(dir / "b-not-elf.so") << "text\n";
    fs::copy_file(plugin("no-entry"), dir / "c-no-entry.so");
    fs::copy_file(plugin("good"), dir / "d-good.so");
    std::ofstream(dir / "notes.txt") << "ignored: not a .so\n";

    PluginCatalog catalog = PluginCatalog::scan({dir.path()}, without_install_dir());
    ASSERT_EQ(catalog.entries().size(), 2u);
    const CatalogEntry* probe = catalog.find("abi-test.good-probe");
    const CatalogEntry* sink = catalog.find("abi-test.good-sink");
    ASSERT_NE(probe, nullptr);
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(probe->kind, ZZP_KIND_PROBE);
    EXPECT_EQ(sink->kind, ZZP_KIND_SINK);
    EXPECT_EQ(probe->version, "1.0.0");
    EXPECT_EQ(probe->library_path, dir / "d-good.so");
    EXPECT_EQ(probe->abi_major, 1u);
    EXPECT_EQ(probe->abi_minor, static_cast<uint32_t>(ZZP_ABI_MINOR));
    ASSERT_NE(probe->descriptor, nullptr);
    EXPECT_STREQ(probe->descriptor->id, "abi-test.good-probe");
    EXPECT_EQ(probe->library, sink->library) << "one library, opened once";

    EXPECT_EQ(catalog.problems().size(), 3u);
    EXPECT_TRUE(has_problem_for(catalog, dir / "a-wrong-major.so", "built for zzprobe ABI 2"));
    EXPECT_TRUE(has_problem_for(catalog, dir / "b-not-elf.so", "not a zzprobe plugin"));
    EXPECT_TRUE(has_problem_for(catalog, dir / "c-no-entry.so", "not a zzprobe plugin"));
    EXPECT_EQ(catalog.find("abi-test.wrong-major"), nullptr);
}

TEST(Catalog, SearchOrderConfigThenEnvironmentFirstIdWins) {
    TempDir config_dir, env_dir, env_dir2;
    fs::copy_file(plugin("good"), config_dir / "zzp-abi-good.so");
    fs::copy_file(plugin("good"), env_dir / "zzp-abi-good-again.so");       // same ids: shadowed
    fs::copy_file(plugin("newer-minor-clean"), env_dir2 / "zzp-newer.so");  // only in the env path
    ScopedEnv env("ZZPROBE_PLUGIN_PATH", env_dir.path().string() + "::" + env_dir2.path().string() + ":");

    abi_test::LogCapture log;
    PluginCatalog catalog = PluginCatalog::scan({config_dir.path()}, without_install_dir());

    ASSERT_EQ(catalog.search_dirs().size(), 3u);
    EXPECT_EQ(catalog.search_dirs()[0].path, fs::canonical(config_dir.path()));
    EXPECT_EQ(catalog.search_dirs()[0].origin, "config");
    EXPECT_EQ(catalog.search_dirs()[1].path, fs::canonical(env_dir.path()));
    EXPECT_EQ(catalog.search_dirs()[1].origin, "ZZPROBE_PLUGIN_PATH");
    EXPECT_EQ(catalog.search_dirs()[2].path, fs::canonical(env_dir2.path()));

    const CatalogEntry* probe = catalog.find("abi-test.good-probe");
    ASSERT_NE(probe, nullptr);
    EXPECT_EQ(probe->library_path, fs::canonical(config_dir.path()) / "zzp-abi-good.so");
    ASSERT_NE(catalog.find("abi-test.newer-minor"), nullptr);
    EXPECT_EQ(catalog.find("abi-test.newer-minor")->abi_minor, static_cast<uint32_t>(ZZP_ABI_MINOR + 1));
    EXPECT_EQ(catalog.entries().size(), 3u);

    ASSERT_EQ(catalog.warnings().size(), 2u);  // both ids of the second copy
    EXPECT_THAT(catalog.warnings()[0], HasSubstr("zzp-abi-good.so"));
    EXPECT_THAT(catalog.warnings()[0], HasSubstr("zzp-abi-good-again.so"));
    EXPECT_TRUE(log.contains("is offered by both"));
    EXPECT_TRUE(catalog.problems().empty());
}

TEST(Catalog, MissingAndRepeatedDirectoriesAreListedOnce) {
    TempDir dir;
    fs::copy_file(plugin("good"), dir / "zzp-abi-good.so");
    PluginCatalog catalog =
        PluginCatalog::scan({dir / "does-not-exist", dir.path(), dir / "." / ""}, without_install_dir());
    ASSERT_EQ(catalog.search_dirs().size(), 2u);
    EXPECT_FALSE(catalog.search_dirs()[0].exists);
    EXPECT_TRUE(catalog.search_dirs()[1].exists);
    EXPECT_TRUE(catalog.warnings().empty()) << "a directory listed twice shadowed itself";
    EXPECT_EQ(catalog.entries().size(), 2u);
}

TEST(Catalog, InstallDirIsRelativeToTheExecutableAndSearchedLast) {
    TempDir dir;
    PluginCatalog catalog = PluginCatalog::scan({dir.path()});
    ASSERT_FALSE(catalog.search_dirs().empty());
    const SearchDir& last = catalog.search_dirs().back();
    EXPECT_EQ(last.origin, "install");
    fs::path exe = fs::read_symlink("/proc/self/exe");
    EXPECT_EQ(fs::weakly_canonical(last.path), fs::weakly_canonical(exe.parent_path() / ZZP_PLUGIN_DIR_FROM_BIN));
}

TEST(Catalog, OpensAnExplicitLibraryPath) {
    LoadError err;
    auto lib = PluginCatalog::open_explicit(plugin("good"), &err);
    ASSERT_NE(lib, nullptr) << err.text();
    EXPECT_NE(lib->find("abi-test.good-sink"), nullptr);
    EXPECT_EQ(PluginCatalog::open_explicit(plugin("wrong-major"), &err), nullptr);
    EXPECT_THAT(err.text(), HasSubstr("ABI 2"));
}

}  // namespace
}  // namespace zzp::host
