// Libraries the loader must refuse, each with a message that says what failed, the detail
// (path, both versions, dlerror text) and a hint — and, where the rule says so, without running
// any plugin code (docs/PLUGIN_ABI.md rules E1–E4, G3, F1, N2, D1–D3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "abi_test_support.hpp"
#include "loader/plugin_library.hpp"

namespace zzp::host {
namespace {
namespace fs = std::filesystem;
using abi_test::Marker;
using abi_test::plugin;
using abi_test::TempDir;
using ::testing::HasSubstr;

// Opens `file` expecting a refusal; returns the error.
LoadError refused(const fs::path& file) {
    LoadError err;
    auto lib = PluginLibrary::open(file, {}, &err);
    EXPECT_EQ(lib, nullptr) << file;
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(err.path, file.string());
    return err;
}

TEST(LoadRefusal, MissingFileNamesThePath) {
    TempDir dir;
    LoadError err = refused(dir / "zzp-nothing-here.so");
    EXPECT_THAT(err.what, HasSubstr("not found"));
    EXPECT_THAT(err.detail, HasSubstr((dir / "zzp-nothing-here.so").string()));
    EXPECT_FALSE(err.hint.empty());
}

TEST(LoadRefusal, DirectoryIsNotALibrary) {
    TempDir dir;
    fs::create_directory(dir / "looks-like.so");
    LoadError err = refused(dir / "looks-like.so");
    EXPECT_THAT(err.what, HasSubstr("not a regular file"));
}

TEST(LoadRefusal, TextFileIsNotAPlugin) {
    TempDir dir;
    std::ofstream(dir / "readme.so") << "this is not an ELF file\n";
    LoadError err = refused(dir / "readme.so");
    EXPECT_THAT(err.what, HasSubstr("not a zzprobe plugin"));
    EXPECT_THAT(err.what, HasSubstr("not an ELF file"));
}

TEST(LoadRefusal, WrongMajorRefusedBeforeAnyPluginCodeRuns) {
    Marker marker;
    fs::path file = plugin("wrong-major");
    LoadError err = refused(file);
    EXPECT_FALSE(marker.exists()) << "the library's constructor ran: it was mapped before its major was checked";
    EXPECT_THAT(err.what, HasSubstr("built for zzprobe ABI 2"));
    EXPECT_THAT(err.what, HasSubstr("this host implements ABI 1"));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.detail, HasSubstr("zzp_plugin_entry_v2"));
    EXPECT_THAT(err.hint, HasSubstr("rebuild the plugin against the installed SDK"));
    EXPECT_THAT(err.hint, HasSubstr("upgrade zzprobe"));
    // The whole text reads as one PostgreSQL-style report.
    EXPECT_THAT(err.text(), HasSubstr("error: "));
    EXPECT_THAT(err.text(), HasSubstr("DETAIL: "));
    EXPECT_THAT(err.text(), HasSubstr("HINT: "));
}

TEST(LoadRefusal, NoEntrySymbolIsNotAPluginAndNoCodeRuns) {
    Marker marker;
    fs::path file = plugin("no-entry");
    LoadError err = refused(file);
    EXPECT_FALSE(marker.exists());
    EXPECT_THAT(err.what, HasSubstr("not a zzprobe plugin"));
    EXPECT_THAT(err.what, HasSubstr("zzp_plugin_entry_v1"));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.hint, HasSubstr("zzprobe SDK"));
}

TEST(LoadRefusal, StrippedWrongMajorIsStillRecognised) {
    // Packaged plugins are stripped (.symtab removed); the entry must still be found in .dynsym.
    TempDir dir;
    fs::path stripped = dir / "zzp-abi-wrong-major.so";
    fs::copy_file(plugin("wrong-major"), stripped);
    std::string cmd = "strip --strip-all '" + stripped.string() + "'";
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "strip (binutils) is not available";
    Marker marker;
    LoadError err = refused(stripped);
    EXPECT_FALSE(marker.exists());
    EXPECT_THAT(err.what, HasSubstr("built for zzprobe ABI 2"));
}

TEST(LoadRefusal, UnresolvedDependencyReportsDlerror) {
    fs::path file = plugin("unresolved");
    LoadError err = refused(file);
    EXPECT_THAT(err.what, HasSubstr("cannot load plugin library"));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.detail, HasSubstr("undefined symbol"));
    EXPECT_THAT(err.detail, HasSubstr("zzp_test_function_nobody_defines"));
    EXPECT_THAT(err.hint, HasSubstr("-z,defs"));
}

TEST(LoadRefusal, FingerprintSkewRefusedWithBothValuesBeforeInit) {
    Marker marker;
    fs::path file = plugin("fingerprint-skew");
    LoadError err = refused(file);
    EXPECT_FALSE(marker.exists()) << "init ran for a library with a skewed fingerprint";
    EXPECT_THAT(err.what, HasSubstr("fingerprint"));
    char host_value[24], plugin_value[24];
    std::snprintf(host_value, sizeof host_value, "0x%016llx", static_cast<unsigned long long>(ZZP_ABI_FINGERPRINT));
    std::snprintf(plugin_value, sizeof plugin_value, "0x%016llx",
                  static_cast<unsigned long long>(ZZP_ABI_FINGERPRINT ^ 0x5a5aull));
    EXPECT_THAT(err.detail, HasSubstr(host_value));
    EXPECT_THAT(err.detail, HasSubstr(plugin_value));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.hint, HasSubstr("rebuild"));
}

TEST(LoadRefusal, NewerMinorWithNonZeroTailRefusedWithBothSizes) {
    fs::path file = plugin("newer-minor-dirty");
    LoadError err = refused(file);
    const std::string host_size = std::to_string(sizeof(zzp_plugin_library));
    const std::string plugin_size = std::to_string(sizeof(zzp_plugin_library) + 16);
    EXPECT_THAT(err.detail, HasSubstr(host_size + " bytes"));
    EXPECT_THAT(err.detail, HasSubstr(plugin_size + " bytes"));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.hint, HasSubstr("upgrade zzprobe"));
}

TEST(LoadRefusal, InitRefusalSurfacesThePluginMessageAndActivatesNothing) {
    Marker marker;
    fs::path file = plugin("init-refusal");
    LoadError err = refused(file);
    EXPECT_THAT(err.what, HasSubstr("needs zzprobe ABI 1.7 or later"));
    EXPECT_THAT(err.detail, HasSubstr(file.string()));
    EXPECT_THAT(err.detail, HasSubstr("unsupported"));
    EXPECT_FALSE(marker.exists()) << "after a refused init the host asked for descriptors, created or called deinit";
}

TEST(LoadRefusal, DuplicatePluginIdsInOneLibrary) {
    LoadError err = refused(plugin("duplicate-ids"));
    EXPECT_THAT(err.what, HasSubstr("'abi-test.twice' twice"));
}

TEST(LoadRefusal, MalformedConfigSchema) {
    LoadError err = refused(plugin("bad-schema"));
    EXPECT_THAT(err.what, HasSubstr("invalid descriptor"));
    EXPECT_THAT(err.detail, HasSubstr("'Rate Limit'"));
}

TEST(LoadRefusal, RefusedLibrariesLeaveNothingMapped) {
    size_t before = abi_test::mapped_shared_objects();
    for (const char* name : {"wrong-major", "no-entry", "unresolved", "fingerprint-skew", "newer-minor-dirty",
                             "init-refusal", "duplicate-ids", "bad-schema"}) {
        LoadError err;
        EXPECT_EQ(PluginLibrary::open(plugin(name), {}, &err), nullptr) << name;
    }
    EXPECT_EQ(abi_test::mapped_shared_objects(), before);
}

}  // namespace
}  // namespace zzp::host
