// Plugin discovery: which plugin ids exist, in which library, searched in a fixed order.
//
//   PluginCatalog catalog = PluginCatalog::scan({"/etc/zzprobe/plugins"});
//   for (const LoadError& p : catalog.problems()) log_warn("plugins", p.one_line());
//   if (const CatalogEntry* e = catalog.find("icmp"))
//       auto inst = e->library->create("icmp", "probe-1", host, &why);
//   // a config naming a file instead of an id:
//   auto lib = PluginCatalog::open_explicit("/opt/x/zzp-x.so", &err);
//
// Search order: the config's plugin directories, then ZZPROBE_PLUGIN_PATH (colon separated),
// then the install directory next to the running executable (ZZP_PLUGIN_DIR_FROM_BIN relative
// to /proc/self/exe's directory). Every *.so is opened (sorted by name within a directory). An
// id found twice: the first in search order wins, with a warning naming both paths. A library
// that cannot be loaded is recorded in problems() and scanning goes on.
#pragma once

#include <zzprobe/zzprobe.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loader/load_error.hpp"
#include "loader/plugin_library.hpp"

namespace zzp::host {

struct CatalogEntry {
    std::string plugin_id;
    zzp_plugin_kind kind = ZZP_KIND_PROBE;
    std::string version;                 // the plugin's own version (descriptor)
    std::filesystem::path library_path;  // the file as found
    uint32_t abi_major = 0;
    uint32_t abi_minor = 0;
    const zzp_plugin_descriptor* descriptor = nullptr;  // valid while `library` is held
    std::shared_ptr<PluginLibrary> library;
};

struct SearchDir {
    std::filesystem::path path;
    std::string origin;  // "config", "ZZPROBE_PLUGIN_PATH" or "install"
    bool exists = false;
};

class PluginCatalog {
public:
    struct Options {
        bool use_environment = true;  // ZZPROBE_PLUGIN_PATH
        bool use_install_dir = true;  // next to the executable
        OpenOptions open;
    };

    static PluginCatalog scan(const std::vector<std::filesystem::path>& config_dirs);
    static PluginCatalog scan(const std::vector<std::filesystem::path>& config_dirs, const Options& options);

    // Opens one library named by path (a config may name a file instead of an id).
    static std::shared_ptr<PluginLibrary> open_explicit(const std::filesystem::path& path, LoadError* err);

    // The install directory next to the running executable.
    static std::filesystem::path install_dir();

    const CatalogEntry* find(const std::string& plugin_id) const;
    const std::vector<CatalogEntry>& entries() const { return entries_; }  // in search order
    const std::vector<LoadError>& problems() const { return problems_; }
    const std::vector<std::string>& warnings() const { return warnings_; }  // shadowed ids
    const std::vector<SearchDir>& search_dirs() const { return search_dirs_; }

private:
    void scan_dir(const SearchDir& dir, const OpenOptions& open);
    void add_library(const std::filesystem::path& file, const OpenOptions& open);

    std::vector<CatalogEntry> entries_;
    std::vector<LoadError> problems_;
    std::vector<std::string> warnings_;
    std::vector<SearchDir> search_dirs_;
};

}  // namespace zzp::host
