#include "loader/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#include "common/log.hpp"

namespace zzp::host {
namespace fs = std::filesystem;
namespace {

fs::path normalized(const fs::path& p) {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    if (ec) abs = p;
    fs::path canonical = fs::weakly_canonical(abs, ec);
    return ec ? abs.lexically_normal() : canonical;
}

std::vector<fs::path> split_path_list(const char* value) {
    std::vector<fs::path> out;
    if (value == nullptr) return out;
    std::string s = value;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(':', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out.emplace_back(s.substr(start, end - start));  // empty entries mean nothing
        start = end + 1;
    }
    return out;
}

}  // namespace

fs::path PluginCatalog::install_dir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    return (exe.parent_path() / ZZP_PLUGIN_DIR_FROM_BIN).lexically_normal();
}

PluginCatalog PluginCatalog::scan(const std::vector<fs::path>& config_dirs) {
    return scan(config_dirs, Options{});
}

PluginCatalog PluginCatalog::scan(const std::vector<fs::path>& config_dirs, const Options& options) {
    PluginCatalog catalog;
    std::vector<SearchDir> candidates;
    for (const fs::path& d : config_dirs) candidates.push_back({d, "config", false});
    if (options.use_environment)
        for (const fs::path& d : split_path_list(std::getenv("ZZPROBE_PLUGIN_PATH")))
            candidates.push_back({d, "ZZPROBE_PLUGIN_PATH", false});
    if (options.use_install_dir) {
        fs::path install = install_dir();
        if (!install.empty()) candidates.push_back({install, "install", false});
    }
    std::set<fs::path> seen;
    for (SearchDir& dir : candidates) {
        dir.path = normalized(dir.path);
        if (!seen.insert(dir.path).second) continue;  // listed twice: scanning it again would only shadow itself
        std::error_code ec;
        dir.exists = fs::is_directory(dir.path, ec);
        catalog.search_dirs_.push_back(dir);
        if (dir.exists) catalog.scan_dir(dir, options.open);
    }
    return catalog;
}

void PluginCatalog::scan_dir(const SearchDir& dir, const OpenOptions& open) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::error_code type_ec;
        if (p.extension() == ".so" && it->is_regular_file(type_ec)) files.push_back(p);
    }
    if (ec) {
        LoadError e;
        e.what = "cannot list plugin directory";
        e.detail = "directory: " + dir.path.string() + " (" + dir.origin + "): " + ec.message();
        e.hint = "check its permissions";
        e.path = dir.path.string();
        problems_.push_back(e);
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) add_library(f, open);
}

void PluginCatalog::add_library(const fs::path& file, const OpenOptions& open) {
    LoadError err;
    std::shared_ptr<PluginLibrary> lib = PluginLibrary::open(file, open, &err);
    if (!lib) {
        log_debug("plugins", err.one_line());
        problems_.push_back(err);
        return;
    }
    for (const zzp_plugin_descriptor& d : lib->descriptors()) {
        if (const CatalogEntry* first = find(d.id)) {
            std::string w = "plugin id '" + std::string(d.id) + "' is offered by both " + first->library_path.string() +
                            " and " + file.string() + "; using the first (earlier in the search order)";
            log_warn("plugins", w);
            warnings_.push_back(w);
            continue;
        }
        CatalogEntry e;
        e.plugin_id = d.id;
        e.kind = static_cast<zzp_plugin_kind>(d.kind);
        e.version = d.version;
        e.library_path = lib->path();
        e.abi_major = lib->abi_major();
        e.abi_minor = lib->abi_minor();
        e.descriptor = &d;
        e.library = lib;
        entries_.push_back(std::move(e));
    }
    // A library none of whose ids won is dropped here (its shared_ptr goes out of scope): unloaded.
}

std::shared_ptr<PluginLibrary> PluginCatalog::open_explicit(const fs::path& path, LoadError* err) {
    return PluginLibrary::open(normalized(path), OpenOptions{}, err);
}

const CatalogEntry* PluginCatalog::find(const std::string& plugin_id) const {
    for (const CatalogEntry& e : entries_)
        if (e.plugin_id == plugin_id) return &e;
    return nullptr;
}

}  // namespace zzp::host
