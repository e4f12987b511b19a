// One loaded plugin library (a .so built against the zzprobe SDK), checked against ABI v1.
//
//   LoadError err;
//   auto lib = PluginLibrary::open("/usr/lib/zzprobe/plugins/zzp-icmp.so", {}, &err);
//   if (!lib) { std::cerr << err.text(); return 2; }
//   const zzp_plugin_descriptor* d = lib->find("icmp");
//   std::string why;
//   auto instance = lib->create("icmp", "probe-1", host_table, &why);  // keeps lib alive
//
// open() refuses, with a LoadError naming the path, both versions and what to do, and in this
// order: a missing or non-regular file; a library without zzp_plugin_entry_v1 (another major,
// or no entry at all) — decided from the symbol table alone, before any plugin code runs,
// constructors included; a failing dlopen (dlerror text); a table that is too long for this
// host with non-zero unknown members; a wrong abi_major; an ABI fingerprint mismatch (header
// skew); a refusal by the plugin's init (its own message; nothing activated, deinit not
// called); a bad descriptor (empty or duplicate id, unknown kind, malformed config schema).
//
// The host maps only a private copy of the file (see private_copy.hpp), so overwriting the
// original in place is harmless and every open() of the same path loads the file's current
// code. Each open() gets a new generation number. The destructor calls deinit, unloads, deletes
// the copy and warns if the library is still mapped. Thread-safety: open/create/destroy [main].
#pragma once

#include <zzprobe/zzprobe.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loader/load_error.hpp"

namespace boost::dll {
class shared_library;
}

namespace zzp::host {

class PluginInstance;

// The ABI this host implements, as told to plugins in init.
constexpr uint32_t kHostAbiMajor = ZZP_ABI_MAJOR;
constexpr uint32_t kHostAbiMinor = ZZP_ABI_MINOR;

struct OpenOptions {
    // Load a private, uniquely named copy instead of the file itself (hot swap needs this;
    // turn it off only for diagnostics).
    bool private_copy = true;
};

class PluginLibrary : public std::enable_shared_from_this<PluginLibrary> {
public:
    // nullptr and *err filled (err may be NULL) when the library is refused.
    static std::shared_ptr<PluginLibrary> open(const std::filesystem::path& path, const OpenOptions& options,
                                               LoadError* err);

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    const std::filesystem::path& path() const { return path_; }                // the file as named (absolute)
    const std::filesystem::path& loaded_path() const { return loaded_path_; }  // what is mapped: the copy
    uint64_t generation() const { return generation_; }
    const std::string& name() const { return name_; }        // zzp_plugin_library.name
    const std::string& version() const { return version_; }  // zzp_plugin_library.version
    uint32_t abi_major() const { return abi_major_; }
    uint32_t abi_minor() const { return abi_minor_; }
    // "/path/zzp-icmp.so gen 3", for messages.
    std::string origin() const;

    // Host-owned, zero-extended copies; their strings and schemas point into the library and
    // stay valid while it is loaded (hold the shared_ptr).
    const std::vector<zzp_plugin_descriptor>& descriptors() const { return descriptors_; }
    const zzp_plugin_descriptor* find(const std::string& plugin_id) const;

    // Creates an instance of `plugin_id` bound to `host` (which must outlive the instance).
    // nullptr with *error (the plugin's message, origin included) on failure.
    std::unique_ptr<PluginInstance> create(const std::string& plugin_id, const std::string& instance_id,
                                           const zzp_host* host, std::string* error);

    // Keep the library mapped for the rest of the process (an instance hung in stop may still be
    // running its code). Logged once; deinit is then never called.
    void leak_intentionally(const std::string& reason);
    bool leaked() const { return leaked_; }

    // Whether `file` is mapped into this process (/proc/self/maps), for checks and tests.
    static bool is_mapped(const std::filesystem::path& file);
    // The number of libraries opened so far in this process (the last generation number).
    static uint64_t generations_opened();

private:
    PluginLibrary() = default;
    bool load(const OpenOptions& options, LoadError* err);
    bool read_descriptors(LoadError* err);
    void refuse(LoadError* err, std::string what, std::string detail, std::string hint) const;

    std::filesystem::path path_;
    std::filesystem::path loaded_path_;
    bool owns_copy_ = false;
    uint64_t generation_ = 0;
    std::unique_ptr<boost::dll::shared_library> handle_;
    zzp_plugin_library table_{};
    bool initialized_ = false;  // init accepted: deinit is due
    bool leaked_ = false;
    std::string name_;
    std::string version_;
    uint32_t abi_major_ = 0;
    uint32_t abi_minor_ = 0;
    std::vector<zzp_plugin_descriptor> descriptors_;
};

}  // namespace zzp::host
