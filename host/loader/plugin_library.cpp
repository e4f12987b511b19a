#include "loader/plugin_library.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <boost/dll/shared_library.hpp>
#include <cstdio>
#include <mutex>
#include <set>
#include <system_error>
#include <vector>

#include "common/log.hpp"
#include "loader/descriptor_check.hpp"
#include "loader/exported_symbols.hpp"
#include "loader/guarded_call.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/private_copy.hpp"
#include "loader/struct_copy.hpp"

namespace zzp::host {
namespace fs = std::filesystem;
namespace {

constexpr uint32_t kMaxPluginsPerLibrary = 256;

std::atomic<uint64_t> generation_counter{0};

// Libraries kept mapped on purpose (an instance hung in stop): reachable, so leak checkers stay
// quiet, and never dlclose'd.
std::mutex leaked_mutex;
std::vector<std::unique_ptr<boost::dll::shared_library>>& leaked_handles() {
    static auto* handles = new std::vector<std::unique_ptr<boost::dll::shared_library>>();
    return *handles;
}

std::string join_majors(const std::vector<uint32_t>& majors) {
    std::string out;
    for (size_t i = 0; i < majors.size(); ++i) {
        if (i) out += i + 1 == majors.size() ? " and " : ", ";
        out += std::to_string(majors[i]);
    }
    return out;
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string host_abi() {
    return std::to_string(kHostAbiMajor) + "." + std::to_string(kHostAbiMinor);
}

const char* or_empty(const char* s) {
    return s ? s : "";
}

// What to do about a dlopen failure, judged from glibc's message.
std::string dlopen_hint(const std::string& dlerror_text) {
    if (dlerror_text.find("undefined symbol") != std::string::npos)
        return "the library uses a symbol that no loaded library provides: link the plugin against every library it "
               "uses (build with -Wl,-z,defs, as zzprobe_add_plugin does, to catch this at build time)";
    if (dlerror_text.find("cannot open shared object file") != std::string::npos)
        return "a library this plugin depends on is not installed: install it, or check with `ldd` on the plugin";
    if (dlerror_text.find("failed to map segment") != std::string::npos)
        return "the private copy directory may be on a noexec file system: point XDG_RUNTIME_DIR at an exec-allowed "
               "directory";
    if (dlerror_text.find("wrong ELF class") != std::string::npos ||
        dlerror_text.find("invalid ELF header") != std::string::npos)
        return "the file is not a shared library for this machine: rebuild the plugin for this architecture";
    return "rebuild the plugin against the installed zzprobe SDK";
}

}  // namespace

std::string PluginLibrary::origin() const {
    return path_.string() + " gen " + std::to_string(generation_);
}

bool PluginLibrary::is_mapped(const fs::path& file) {
    return zzp::host::is_mapped(file);
}

uint64_t PluginLibrary::generations_opened() {
    return generation_counter.load();
}

void PluginLibrary::refuse(LoadError* err, std::string what, std::string detail, std::string hint) const {
    if (err == nullptr) return;
    err->what = std::move(what);
    err->detail = std::move(detail);
    err->hint = std::move(hint);
    err->path = path_.string();
}

std::shared_ptr<PluginLibrary> PluginLibrary::open(const fs::path& path, const OpenOptions& options, LoadError* err) {
    std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
    std::error_code ec;
    lib->path_ = fs::absolute(path, ec).lexically_normal();
    if (ec) lib->path_ = path;
    // On refusal the destructor undoes whatever load() did (deinit, unload, delete the copy).
    if (!lib->load(options, err)) return nullptr;
    log_debug("loader", "loaded " + lib->origin() + " (" + lib->name_ + " " + lib->version_ + ", ABI " +
                            std::to_string(lib->abi_major_) + "." + std::to_string(lib->abi_minor_) + ") from " +
                            lib->loaded_path_.string());
    return lib;
}

bool PluginLibrary::load(const OpenOptions& options, LoadError* err) {
    const std::string where = "library: " + path_.string();

    // 1. The file.
    std::error_code ec;
    fs::file_status st = fs::status(path_, ec);
    if (!fs::exists(st)) {
        refuse(err, "plugin library not found", where + (ec ? " (" + ec.message() + ")" : ""),
               "check the path, or the plugin directories searched (zzprobe plugins lists them)");
        return false;
    }
    if (!fs::is_regular_file(st)) {
        refuse(err, "plugin library is not a regular file", where, "name the .so file itself, not a directory");
        return false;
    }

    // 2. The private copy: everything below inspects and maps exactly the bytes that were copied,
    //    however the original changes meanwhile.
    generation_ = ++generation_counter;
    if (options.private_copy) {
        std::string why;
        auto copy = make_private_copy(path_, generation_, &why);
        if (!copy) {
            refuse(err, "cannot make a private copy of the plugin library", where + ": " + why,
                   "make XDG_RUNTIME_DIR or /tmp writable for this user");
            return false;
        }
        loaded_path_ = *copy;
        owns_copy_ = true;
    } else {
        loaded_path_ = path_;
    }

    // 3. The entry symbol, from the symbol table alone: no plugin code (not even a constructor)
    //    runs for a library of another ABI major or for a file that is no plugin at all.
    std::string why;
    auto symbols = list_exported_symbols(loaded_path_, &why);
    if (!symbols) {
        refuse(err, "not a zzprobe plugin: " + why, where,
               "plugin directories should hold only zzprobe plugin libraries (.so files built with the zzprobe SDK)");
        return false;
    }
    std::vector<uint32_t> majors = entry_majors(*symbols);
    bool has_v1 = std::find(majors.begin(), majors.end(), kHostAbiMajor) != majors.end();
    if (!has_v1 && majors.empty()) {
        refuse(err, "not a zzprobe plugin: no " ZZP_ENTRY_SYMBOL " symbol",
               where + "; it exports no zzp_plugin_entry_v<N>",
               "build plugins with the zzprobe SDK (zzprobe_add_plugin or ZZP_PLUGIN_LIBRARY), which "
               "export " ZZP_ENTRY_SYMBOL);
        return false;
    }
    if (!has_v1) {
        uint32_t newest = majors.back();
        bool newer = newest > kHostAbiMajor;
        refuse(err,
               "plugin library was built for zzprobe ABI " + join_majors(majors) + ", this host implements ABI " +
                   std::to_string(kHostAbiMajor),
               where + "; plugin ABI major " + join_majors(majors) + " (exports " ZZP_ENTRY_SYMBOL_PREFIX +
                   std::to_string(newest) + "), host ABI " + host_abi() + " (looks for " ZZP_ENTRY_SYMBOL ")",
               newer ? "rebuild the plugin against the installed SDK (ABI " + std::to_string(kHostAbiMajor) +
                           ") or upgrade zzprobe to a version implementing ABI " + std::to_string(newest)
                     : "rebuild the plugin against the installed SDK (ABI " + std::to_string(kHostAbiMajor) +
                           ") or get a build of it for this zzprobe");
        return false;
    }

    // 4. dlopen: immediate binding (a missing symbol fails here, not in the middle of a run),
    //    local scope (plugins cannot see each other's symbols).
    handle_ = std::make_unique<boost::dll::shared_library>();
    boost::dll::fs::error_code load_ec;
    ::dlerror();  // clear a stale message so the one read below is ours
    handle_->load(loaded_path_, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_ec);
    if (load_ec || !handle_->is_loaded()) {
        const char* dl = ::dlerror();
        std::string dl_text = dl ? dl : load_ec.message();
        refuse(err, "cannot load plugin library",
               where + (owns_copy_ ? " (mapped from " + loaded_path_.string() + ")" : "") + ": " + dl_text,
               dlopen_hint(dl_text));
        handle_.reset();
        return false;
    }

    // 5. The entry: it must only return its static table.
    zzp_plugin_entry_fn entry = nullptr;
    try {
        entry = &handle_->get<const zzp_plugin_library*()>(ZZP_ENTRY_SYMBOL);
    } catch (const std::exception& e) {
        refuse(err, "cannot resolve " ZZP_ENTRY_SYMBOL, where + ": " + e.what(),
               "rebuild the plugin with the zzprobe SDK");
        return false;
    }
    const zzp_plugin_library* raw = nullptr;
    std::string thrown;
    if (!guarded_value([&] { return entry(); }, &raw, &thrown)) {
        refuse(err, ZZP_ENTRY_SYMBOL " threw " + thrown, where,
               "the entry must only return a pointer to a static table");
        return false;
    }
    if (raw == nullptr) {
        refuse(err, ZZP_ENTRY_SYMBOL " returned NULL", where, "the entry must return a pointer to a static table");
        return false;
    }

    // 6. The table: size (append-only growth), major, fingerprint, mandatory functions.
    if (!copy_plugin_struct(raw, &table_, "the library table (zzp_plugin_library)", &why)) {
        // abi_major/abi_minor sit in the first 12 bytes, which every table has.
        std::string declared = raw->struct_size >= 12 ? "plugin ABI " + std::to_string(raw->abi_major) + "." +
                                                            std::to_string(raw->abi_minor) + ", "
                                                      : std::string();
        refuse(err, "plugin library uses a newer ABI than this host implements",
               where + "; " + why + "; " + declared + "host ABI " + host_abi(),
               "upgrade zzprobe, or rebuild the plugin against the installed SDK (ABI " + host_abi() + ")");
        return false;
    }
    abi_major_ = table_.abi_major;
    abi_minor_ = table_.abi_minor;
    name_ = or_empty(table_.name);
    version_ = or_empty(table_.version);
    const std::string plugin_abi = std::to_string(abi_major_) + "." + std::to_string(abi_minor_);
    if (table_.abi_major != kHostAbiMajor) {
        refuse(err,
               "plugin library table says ABI " + plugin_abi +
                   " behind " ZZP_ENTRY_SYMBOL ", this host implements ABI " + host_abi(),
               where + "; plugin ABI " + plugin_abi + ", host ABI " + host_abi(),
               "rebuild the plugin against the installed SDK (a table of another major behind the v1 entry is a build "
               "mistake)");
        return false;
    }
    if (table_.abi_fingerprint != ZZP_ABI_FINGERPRINT) {
        refuse(err, "plugin library ABI fingerprint does not match this host (header skew)",
               where + "; plugin " + (name_.empty() ? "?" : name_) + " " + version_ + " built with ABI " + plugin_abi +
                   " fingerprint " + hex(table_.abi_fingerprint) + ", host ABI " + host_abi() + " fingerprint " +
                   hex(ZZP_ABI_FINGERPRINT),
               "the plugin was compiled with different SDK headers (or for another pointer size or byte order): "
               "rebuild it against the installed SDK");
        return false;
    }
    if (table_.plugin_count == nullptr || table_.get_descriptor == nullptr || table_.create == nullptr) {
        refuse(err, "plugin library table is incomplete",
               where + "; plugin_count, get_descriptor and create must all be set",
               "rebuild the plugin with the zzprobe SDK");
        return false;
    }

    // 7. Negotiation: the plugin may refuse this host. Nothing is activated then and deinit is
    //    not called.
    if (table_.init != nullptr) {
        zzp_host_info info{};
        info.struct_size = sizeof info;
        info.abi_major = kHostAbiMajor;
        info.abi_minor = kHostAbiMinor;
        info.host_name = "zzprobe";
        info.host_version = ZZP_VERSION;
        zzp_error e = fresh_error();
        zzp_status s = guarded_status("init", &e, [&] { return table_.init(&info, &e); });
        if (s != ZZP_OK) {
            refuse(
                err, "plugin library refused this host: " + std::string(e.message),
                where + "; plugin " + name_ + " " + version_ + " (ABI " + plugin_abi +
                    "), host zzprobe " ZZP_VERSION " (ABI " + host_abi() + "); init returned '" + zzp_status_name(s) +
                    "'",
                "install a version of the plugin that supports this zzprobe, or upgrade zzprobe as the message asks");
            return false;
        }
    }
    initialized_ = true;

    // 8. Descriptors.
    return read_descriptors(err);
}

bool PluginLibrary::read_descriptors(LoadError* err) {
    const std::string where = "library: " + path_.string();
    uint32_t count = 0;
    std::string thrown;
    if (!guarded_value([&] { return table_.plugin_count(); }, &count, &thrown)) {
        refuse(err, "plugin_count threw " + thrown, where, "fix the plugin: no exception may cross the C ABI");
        return false;
    }
    if (count == 0 || count > kMaxPluginsPerLibrary) {
        refuse(err, "plugin library offers " + std::to_string(count) + " plugins",
               where + "; a library must offer between 1 and " + std::to_string(kMaxPluginsPerLibrary),
               "fix plugin_count in the plugin");
        return false;
    }
    std::set<std::string> ids;
    descriptors_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        const zzp_plugin_descriptor* raw = nullptr;
        if (!guarded_value([&] { return table_.get_descriptor(i); }, &raw, &thrown)) {
            refuse(err, "get_descriptor(" + std::to_string(i) + ") threw " + thrown, where,
                   "fix the plugin: no exception may cross the C ABI");
            return false;
        }
        zzp_plugin_descriptor d{};
        std::string why;
        if (!copy_plugin_struct(raw, &d, ("descriptor " + std::to_string(i)).c_str(), &why)) {
            refuse(err, "plugin library has an unusable descriptor", where + "; " + why + "; host ABI " + host_abi(),
                   raw ? "upgrade zzprobe, or rebuild the plugin against the installed SDK"
                       : "fix plugin_count / get_descriptor in the plugin");
            return false;
        }
        if (!check_descriptor(d, &why)) {
            refuse(err, "plugin library has an invalid descriptor",
                   where + "; descriptor " + std::to_string(i) + ": " + why,
                   "fix the plugin's descriptor (docs/PLUGIN_ABI.md, descriptors)");
            return false;
        }
        if (!ids.insert(d.id).second) {
            refuse(err, "plugin library offers plugin id '" + std::string(d.id) + "' twice",
                   where + "; descriptor " + std::to_string(i) + " repeats an earlier id",
                   "give every plugin of a library its own id");
            return false;
        }
        // Optional strings read as "" so no caller has to test for NULL.
        d.name = d.name ? d.name : d.id;
        d.version = d.version ? d.version : "";
        d.description = d.description ? d.description : "";
        d.sample_config = d.sample_config ? d.sample_config : "";
        descriptors_.push_back(d);
    }
    return true;
}

const zzp_plugin_descriptor* PluginLibrary::find(const std::string& plugin_id) const {
    for (const zzp_plugin_descriptor& d : descriptors_)
        if (plugin_id == d.id) return &d;
    return nullptr;
}

std::unique_ptr<PluginInstance> PluginLibrary::create(const std::string& plugin_id, const std::string& instance_id,
                                                      const zzp_host* host, std::string* error) {
    std::string ignored;
    if (error == nullptr) error = &ignored;
    const std::string who = plugin_id + "/" + instance_id + " (" + origin() + ")";
    const zzp_plugin_descriptor* d = find(plugin_id);
    if (d == nullptr) {
        *error = who + ": the library offers no plugin '" + plugin_id + "'";
        return nullptr;
    }
    if (leaked_) {
        *error = who + ": the library is quarantined (an instance hung in stop); load a new generation";
        return nullptr;
    }
    zzp_error e = fresh_error();
    const zzp_plugin* raw = nullptr;
    std::string thrown;
    if (!guarded_value([&] { return table_.create(plugin_id.c_str(), host, &e); }, &raw, &thrown)) {
        *error = who + ": create threw " + thrown + " through the C ABI";
        return nullptr;
    }
    if (raw == nullptr) {
        e.message[ZZP_ERROR_MESSAGE_MAX - 1] = '\0';
        *error = who + ": create failed: " + (e.message[0] ? e.message : "no message");
        return nullptr;
    }
    return PluginInstance::wrap(raw, instance_id, shared_from_this(), error, d);
}

void PluginLibrary::leak_intentionally(const std::string& reason) {
    if (leaked_) return;
    leaked_ = true;
    // Unlink the copy now: the mapping keeps the file alive, and the worker thread that holds
    // the last reference may never finish before the process exits.
    if (owns_copy_) {
        remove_private_copy(loaded_path_);
        owns_copy_ = false;
    }
    log_warn("loader", origin() + ": kept loaded for the rest of the process on purpose (" + reason +
                           "); its code may still be running, so it is never unloaded");
}

PluginLibrary::~PluginLibrary() {
    if (leaked_) {
        if (handle_) {
            std::lock_guard lock(leaked_mutex);
            leaked_handles().push_back(std::move(handle_));
        }
        return;
    }
    if (initialized_ && table_.deinit != nullptr) {
        std::string thrown;
        if (!guarded_void([&] { table_.deinit(); }, &thrown))
            log_warn("loader", origin() + ": deinit threw " + thrown + " through the C ABI");
    }
    bool was_loaded = handle_ && handle_->is_loaded();
    if (handle_) handle_->unload();
    handle_.reset();
    if (owns_copy_) remove_private_copy(loaded_path_);
    if (was_loaded && is_mapped(loaded_path_)) {
        log_warn("loader",
                 origin() + ": still mapped after unloading " + loaded_path_.string() +
                     "; something pinned it (a STB_GNU_UNIQUE symbol: build with -fno-gnu-unique; a "
                     "thread_local with a destructor; an atexit handler; or a thread still running its code)");
    }
}

}  // namespace zzp::host
