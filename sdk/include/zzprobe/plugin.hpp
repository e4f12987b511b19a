// zzprobe plugin SDK — header-only C++17 helper over the C ABI v1.
//
// Write a plugin as a class; the helper builds the C tables, turns every exception into a
// status plus message at the ABI boundary (nothing C++ ever crosses it), and exports the one
// entry symbol. Minimal probe:
//
//   class MyProbe : public zzp::Plugin {
//       void configure(const zzp::Config& c) override { rate_ = c.number("rate"); }
//       void start() override { ... start a thread that calls host().emit(...) ... }
//       void stop(int64_t deadline_mono_ns) override { ... join it ... }
//   };
//   static const zzp_config_key kKeys[] = {
//       zzp::key("rate", ZZP_CFG_FLOAT, "10", "echo requests per second"),
//   };
//   static const zzp_plugin_descriptor kDesc = zzp::describe(
//       ZZP_KIND_PROBE, "org.example.probe", "Example probe", "1.0.0", "What it does.", kKeys,
//       "[[probe]]\nid = \"example\"\nplugin = \"org.example.probe\"\n");
//   ZZP_PLUGIN_LIBRARY("example-probe", "1.0.0", zzp::entry<MyProbe>(kDesc))
//
// Rules the helper cannot enforce for you (docs/PLUGIN_ABI.md): no thread of yours may run
// after stop() returns; no thread_local with destructors on host threads; no atexit.
#ifndef ZZPROBE_PLUGIN_HPP
#define ZZPROBE_PLUGIN_HPP

#include <zzprobe/zzprobe.h>

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace zzp {

// An error with a status and, for config errors, the key at fault. Throw it from any virtual
// below; the helper reports it to the host through zzp_error.
class Error : public std::runtime_error {
public:
    Error(zzp_status status, std::string key, const std::string& message)
        : std::runtime_error(message), status_(status), key_(std::move(key)) {}
    explicit Error(zzp_status status, const std::string& message) : Error(status, {}, message) {}
    zzp_status status() const noexcept { return status_; }
    const std::string& key() const noexcept { return key_; }

private:
    zzp_status status_;
    std::string key_;
};

// A configuration error pointing at `key` (the host turns it into file:line:column).
inline Error config_error(std::string key, const std::string& message) {
    return Error(ZZP_E_CONFIG, std::move(key), message);
}

namespace detail {

// Run f, mapping every exception to a status and a message in err. Never throws.
template <class F>
zzp_status guard(zzp_error* err, F&& f) noexcept {
    try {
        return f();
    } catch (const Error& e) {
        zzp_error_set(err, e.key().c_str(), "%s", e.what());
        return e.status() == ZZP_OK ? ZZP_E_INTERNAL : e.status();
    } catch (const std::bad_alloc&) {
        zzp_error_set(err, nullptr, "out of memory");
        return ZZP_E_INTERNAL;
    } catch (const std::exception& e) {
        zzp_error_set(err, nullptr, "internal error: %s", e.what());
        return ZZP_E_INTERNAL;
    } catch (...) {
        zzp_error_set(err, nullptr, "internal error: unknown exception");
        return ZZP_E_INTERNAL;
    }
}

inline std::string vformat(const char* fmt, va_list ap) {
    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) return fmt;
    if (static_cast<size_t>(n) < sizeof small) return std::string(small, static_cast<size_t>(n));
    std::string out(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(&out[0], out.size(), fmt, ap);
    out.resize(static_cast<size_t>(n));
    return out;
}

}  // namespace detail

// Typed, throwing access to an instance's validated config (defaults already applied).
// Valid during configure() only: copy what you keep.
class Config {
public:
    explicit Config(const zzp_config* raw) : raw_(raw) {}
    const zzp_config* raw() const { return raw_; }

    bool has(const std::string& path) const {
        const char* s = nullptr;
        int64_t i = 0;
        double d = 0;
        int b = 0;
        uint64_t n = 0;
        const char* p = path.c_str();
        return raw_->get_string(raw_, p, &s) == ZZP_OK || raw_->get_int(raw_, p, &i) == ZZP_OK ||
               raw_->get_float(raw_, p, &d) == ZZP_OK || raw_->get_bool(raw_, p, &b) == ZZP_OK ||
               raw_->get_length(raw_, p, &n) == ZZP_OK;
    }
    std::string string(const std::string& path) const {
        const char* out = nullptr;
        check(raw_->get_string(raw_, path.c_str(), &out), path, "a string");
        return out ? out : "";
    }
    int64_t integer(const std::string& path) const {
        int64_t out = 0;
        check(raw_->get_int(raw_, path.c_str(), &out), path, "an integer");
        return out;
    }
    double number(const std::string& path) const {
        double out = 0;
        check(raw_->get_float(raw_, path.c_str(), &out), path, "a number");
        return out;
    }
    bool boolean(const std::string& path) const {
        int out = 0;
        check(raw_->get_bool(raw_, path.c_str(), &out), path, "true or false");
        return out != 0;
    }
    std::chrono::nanoseconds duration(const std::string& path) const {
        int64_t out = 0;
        check(raw_->get_duration(raw_, path.c_str(), &out), path, "a duration such as \"100ms\"");
        return std::chrono::nanoseconds(out);
    }
    uint64_t size(const std::string& path) const {
        uint64_t out = 0;
        check(raw_->get_size(raw_, path.c_str(), &out), path, "a size such as \"64MiB\"");
        return out;
    }
    // Number of elements of a list; 0 when absent.
    size_t length(const std::string& path) const {
        uint64_t out = 0;
        zzp_status s = raw_->get_length(raw_, path.c_str(), &out);
        if (s == ZZP_E_NOT_FOUND) return 0;
        check(s, path, "a list");
        return static_cast<size_t>(out);
    }
    std::vector<std::string> strings(const std::string& path) const {
        std::vector<std::string> out;
        size_t n = length(path);
        for (size_t i = 0; i < n; ++i) out.push_back(string(path + "[" + std::to_string(i) + "]"));
        return out;
    }
    std::string string_or(const std::string& path, const std::string& fallback) const {
        const char* out = nullptr;
        return raw_->get_string(raw_, path.c_str(), &out) == ZZP_OK && out ? std::string(out) : fallback;
    }

private:
    static void check(zzp_status s, const std::string& path, const char* expected) {
        if (s == ZZP_OK) return;
        if (s == ZZP_E_NOT_FOUND) throw config_error(path, "missing key '" + path + "'");
        throw config_error(path, "'" + path + "' must be " + expected);
    }
    const zzp_config* raw_;
};

// Callbacks into the host for one instance. Every method is [thread-safe].
class Host {
public:
    Host() = default;
    explicit Host(const zzp_host* raw) : raw_(raw) {}
    const zzp_host* raw() const { return raw_; }
    const char* instance_id() const { return raw_ && raw_->instance_id ? raw_->instance_id : ""; }

    void log(zzp_log_level level, const char* fmt, ...) const
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
    {
        if (!raw_ || !raw_->log) return;
        va_list ap;
        va_start(ap, fmt);
        std::string text = detail::vformat(fmt, ap);
        va_end(ap);
        raw_->log(raw_, level, text.c_str());
    }
    uint32_t intern_target(const std::string& name, const std::string& address) const {
        zzp_target_desc d{};
        d.struct_size = sizeof d;
        d.name = name.c_str();
        d.address = address.c_str();
        return raw_->intern_target(raw_, &d);
    }
    void emit(const zzp_sample* samples, uint32_t count) const {
        if (count) raw_->emit(raw_, samples, count);
    }
    void emit(const std::vector<zzp_sample>& samples) const {
        emit(samples.data(), static_cast<uint32_t>(samples.size()));
    }
    int64_t wall_now_ns() const { return raw_->wall_now_ns(raw_); }
    int64_t mono_now_ns() const { return raw_->mono_now_ns(raw_); }
    void request_stop(const char* reason) const {
        if (ZZP_STRUCT_HAS(raw_, zzp_host, request_stop) && raw_->request_stop) raw_->request_stop(raw_, reason);
    }

private:
    const zzp_host* raw_ = nullptr;
};

// Base class of every plugin instance. Override what you need; throw zzp::Error on failure.
class Plugin {
public:
    virtual ~Plugin() = default;
    virtual void configure(const Config&) {}
    virtual void start() {}
    virtual void stop(int64_t /*deadline_mono_ns*/) {}
    // Extension tables of your own (reverse-DNS ids); the standard ones are built for you.
    virtual const void* extension(const char* /*id*/) { return nullptr; }
    const Host& host() const { return host_; }
    void attach_host_(const zzp_host* h) { host_ = Host(h); }

private:
    Host host_;
};

// A sink: derive, set accepts(), implement write(). Batches are valid for the call only.
class Sink : public Plugin {
public:
    virtual uint32_t accepts() const = 0;  // ZZP_ACCEPT_*
    virtual void on_target(const zzp_target_info&) {}
    // ZZP_OK when taken, ZZP_E_RETRY when the host should call again with the same batch.
    virtual zzp_status write(const zzp_batch& batch) = 0;
    virtual void flush() {}
    // Highest durable batch seq. The default (a sink that keeps nothing): the last one taken.
    virtual uint64_t durable_seq() { return last_taken_seq_; }
    uint64_t last_taken_seq() const { return last_taken_seq_; }
    void note_taken_(uint64_t seq) { last_taken_seq_ = seq; }

private:
    uint64_t last_taken_seq_ = 0;
};

// A viewer: a sink fed through a lossy queue.
class Viewer : public Sink {
public:
    virtual void frames_dropped(uint64_t /*count*/) {}
};

// Mix in to hand state to a successor during a hot swap.
class Stateful {
public:
    virtual ~Stateful() = default;
    virtual uint32_t state_format() const = 0;
    virtual bool accepts_state_format(uint32_t format) const { return format == state_format(); }
    virtual std::string save_state() = 0;                                   // after stop()
    virtual void load_state(uint32_t format, const std::string& bytes) = 0;  // before start()
};

// Little-endian fixed-width encoding for state blobs.
class StateWriter {
public:
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    void str(const std::string& s) {
        u64(s.size());
        bytes_ += s;
    }
    const std::string& bytes() const { return bytes_; }

private:
    std::string bytes_;
};

class StateReader {
public:
    explicit StateReader(const std::string& bytes) : bytes_(bytes) {}
    uint64_t u64() {
        need(8);
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
        pos_ += 8;
        return v;
    }
    std::string str() {
        uint64_t n = u64();
        need(n);
        std::string s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    bool at_end() const { return pos_ == bytes_.size(); }

private:
    void need(uint64_t n) const {
        if (n > bytes_.size() - pos_) throw Error(ZZP_E_INVALID, "state is truncated");
    }
    const std::string& bytes_;
    size_t pos_ = 0;
};

// ---- descriptor helpers ----------------------------------------------------------------------

constexpr zzp_config_key key(const char* name, zzp_config_type type, const char* default_value, const char* doc,
                             uint32_t flags = 0) {
    return zzp_config_key{name, static_cast<uint32_t>(type), flags, default_value, doc, 0, 0, nullptr};
}
constexpr zzp_config_key required_key(const char* name, zzp_config_type type, const char* doc) {
    return key(name, type, nullptr, doc, ZZP_KEY_REQUIRED);
}
constexpr zzp_config_key list_key(const char* name, zzp_config_type element_type, const char* default_value,
                                  const char* doc, uint32_t flags = 0) {
    return zzp_config_key{name, ZZP_CFG_LIST, flags, default_value, doc, static_cast<uint32_t>(element_type), 0, nullptr};
}
template <size_t N>
constexpr zzp_config_key table_key(const char* name, const zzp_config_key (&fields)[N], const char* doc,
                                   uint32_t flags = 0) {
    return zzp_config_key{name, ZZP_CFG_TABLE, flags, nullptr, doc, 0, static_cast<uint32_t>(N), fields};
}
template <size_t N>
constexpr zzp_config_key table_list_key(const char* name, const zzp_config_key (&fields)[N], const char* doc,
                                        uint32_t flags = 0) {
    return zzp_config_key{name, ZZP_CFG_LIST, flags, "[]", doc, ZZP_CFG_TABLE, static_cast<uint32_t>(N), fields};
}
template <size_t N>
constexpr zzp_plugin_descriptor describe(zzp_plugin_kind kind, const char* id, const char* name, const char* version,
                                         const char* description, const zzp_config_key (&keys)[N],
                                         const char* sample_config, const char* vendor = nullptr,
                                         const char* url = nullptr) {
    return zzp_plugin_descriptor{sizeof(zzp_plugin_descriptor), static_cast<uint32_t>(kind), id, name, version,
                                 description, vendor, url, keys, static_cast<uint32_t>(N), 0, sample_config};
}

// ---- the C tables ------------------------------------------------------------------------------

struct PluginEntry {
    const zzp_plugin_descriptor* descriptor;
    Plugin* (*make)();
};

namespace detail {

template <class T>
Plugin* make_plugin() {
    return new T();
}

// One instance: the C table, the extension tables, and the C++ object behind them.
struct Instance {
    zzp_plugin c{};
    zzp_sink_ext sink{};
    zzp_state_ext state{};
    zzp_viewer_ext viewer{};
    Plugin* impl = nullptr;
    Sink* as_sink = nullptr;
    Stateful* as_state = nullptr;
    Viewer* as_viewer = nullptr;
    ~Instance() { delete impl; }
};

inline Instance* self(const zzp_plugin* p) { return static_cast<Instance*>(p->plugin_data); }

inline zzp_status configure(const zzp_plugin* p, const zzp_config* cfg, zzp_error* err) {
    return guard(err, [&] {
        Instance* in = self(p);
        in->impl->configure(Config(cfg));
        // What a sink accepts may depend on its config; the host reads it after configure.
        if (in->as_sink) in->sink.accepts = in->as_sink->accepts();
        return ZZP_OK;
    });
}
inline zzp_status start(const zzp_plugin* p, zzp_error* err) {
    return guard(err, [&] {
        self(p)->impl->start();
        return ZZP_OK;
    });
}
inline zzp_status stop(const zzp_plugin* p, int64_t deadline, zzp_error* err) {
    return guard(err, [&] {
        self(p)->impl->stop(deadline);
        return ZZP_OK;
    });
}
inline void destroy(const zzp_plugin* p) {
    try {
        delete self(p);
    } catch (...) {
    }
}
inline const void* get_extension(const zzp_plugin* p, const char* id) {
    Instance* in = self(p);
    if (id == nullptr) return nullptr;
    if (in->as_sink && std::strcmp(id, ZZP_EXT_SINK) == 0) return &in->sink;
    if (in->as_state && std::strcmp(id, ZZP_EXT_STATE) == 0) return &in->state;
    if (in->as_viewer && std::strcmp(id, ZZP_EXT_VIEWER) == 0) return &in->viewer;
    try {
        return in->impl->extension(id);
    } catch (...) {
        return nullptr;
    }
}
inline zzp_status sink_on_target(const zzp_plugin* p, const zzp_target_info* t, zzp_error* err) {
    return guard(err, [&] {
        self(p)->as_sink->on_target(*t);
        return ZZP_OK;
    });
}
inline zzp_status sink_write(const zzp_plugin* p, const zzp_batch* b, zzp_error* err) {
    return guard(err, [&] {
        Sink* s = self(p)->as_sink;
        zzp_status st = s->write(*b);
        if (st == ZZP_OK) s->note_taken_(b->seq);
        return st;
    });
}
inline zzp_status sink_flush(const zzp_plugin* p, zzp_error* err) {
    return guard(err, [&] {
        self(p)->as_sink->flush();
        return ZZP_OK;
    });
}
inline uint64_t sink_durable_seq(const zzp_plugin* p) {
    try {
        return self(p)->as_sink->durable_seq();
    } catch (...) {
        return 0;
    }
}
inline void viewer_frames_dropped(const zzp_plugin* p, uint64_t n) {
    try {
        self(p)->as_viewer->frames_dropped(n);
    } catch (...) {
    }
}
inline int state_accepts(const zzp_plugin* p, uint32_t format) {
    try {
        return self(p)->as_state->accepts_state_format(format) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}
inline zzp_status state_save(const zzp_plugin* p, const zzp_ostream* out, zzp_error* err) {
    return guard(err, [&] {
        std::string bytes = self(p)->as_state->save_state();
        zzp_status s = out->write(out, bytes.data(), bytes.size());
        if (s != ZZP_OK) throw Error(s, "could not write state to the host stream");
        return ZZP_OK;
    });
}
inline zzp_status state_load(const zzp_plugin* p, uint32_t format, const zzp_istream* in, zzp_error* err) {
    return guard(err, [&] {
        std::string bytes;
        char buf[4096];
        for (;;) {
            int64_t n = in->read(in, buf, sizeof buf);
            if (n < 0) throw Error(ZZP_E_IO, "could not read state from the host stream");
            if (n == 0) break;
            bytes.append(buf, static_cast<size_t>(n));
        }
        self(p)->as_state->load_state(format, bytes);
        return ZZP_OK;
    });
}

inline const zzp_plugin* create_instance(const PluginEntry& e, const zzp_host* host, zzp_error* err) {
    Instance* in = nullptr;
    zzp_status s = guard(err, [&] {
        in = new Instance();
        in->impl = e.make();
        in->impl->attach_host_(host);
        in->c.struct_size = sizeof(zzp_plugin);
        in->c.plugin_data = in;
        in->c.descriptor = e.descriptor;
        in->c.configure = &configure;
        in->c.start = &start;
        in->c.stop = &stop;
        in->c.destroy = &destroy;
        in->c.get_extension = &get_extension;
        in->as_sink = dynamic_cast<Sink*>(in->impl);
        in->as_viewer = dynamic_cast<Viewer*>(in->impl);
        in->as_state = dynamic_cast<Stateful*>(in->impl);
        if (in->as_sink) {
            in->sink.struct_size = sizeof(zzp_sink_ext);
            in->sink.accepts = in->as_sink->accepts();
            in->sink.on_target = &sink_on_target;
            in->sink.write = &sink_write;
            in->sink.flush = &sink_flush;
            in->sink.durable_seq = &sink_durable_seq;
        }
        if (in->as_viewer) {
            in->viewer.struct_size = sizeof(zzp_viewer_ext);
            in->viewer.frames_dropped = &viewer_frames_dropped;
        }
        if (in->as_state) {
            in->state.struct_size = sizeof(zzp_state_ext);
            in->state.format = in->as_state->state_format();
            in->state.accepts_format = &state_accepts;
            in->state.save = &state_save;
            in->state.load = &state_load;
        }
        return ZZP_OK;
    });
    if (s != ZZP_OK) {
        delete in;
        return nullptr;
    }
    return &in->c;
}

inline zzp_status default_init(const zzp_host_info* host, zzp_error* err) {
    if (host == nullptr || host->abi_major != ZZP_ABI_MAJOR) {
        zzp_error_set(err, nullptr, "this plugin implements zzprobe ABI %d, the host offers %u", ZZP_ABI_MAJOR,
                      host ? host->abi_major : 0u);
        return ZZP_E_UNSUPPORTED;
    }
    return ZZP_OK;
}
inline void default_deinit() {}

template <const PluginEntry* Entries, size_t N>
struct LibraryFunctions {
    static uint32_t count() { return static_cast<uint32_t>(N); }
    static const zzp_plugin_descriptor* descriptor(uint32_t i) { return i < N ? Entries[i].descriptor : nullptr; }
    static const zzp_plugin* create(const char* id, const zzp_host* host, zzp_error* err) {
        for (size_t i = 0; i < N; ++i)
            if (id && std::strcmp(Entries[i].descriptor->id, id) == 0) return create_instance(Entries[i], host, err);
        zzp_error_set(err, nullptr, "this library has no plugin '%s'", id ? id : "(null)");
        return nullptr;
    }
    static zzp_plugin_library table(const char* name, const char* version) {
        zzp_plugin_library lib{};
        lib.struct_size = sizeof lib;
        lib.abi_major = ZZP_ABI_MAJOR;
        lib.abi_minor = ZZP_ABI_MINOR;
        lib.abi_fingerprint = ZZP_ABI_FINGERPRINT;
        lib.name = name;
        lib.version = version;
        lib.init = &default_init;
        lib.deinit = &default_deinit;
        lib.plugin_count = &count;
        lib.get_descriptor = &descriptor;
        lib.create = &create;
        return lib;
    }
};

}  // namespace detail

template <class T>
constexpr PluginEntry entry(const zzp_plugin_descriptor& descriptor) {
    return PluginEntry{&descriptor, &detail::make_plugin<T>};
}

}  // namespace zzp

// Define the library's entry symbol from one or more zzp::entry<T>(descriptor). Use once per
// library, at namespace scope in one .cpp file.
#define ZZP_PLUGIN_LIBRARY(lib_name, lib_version, ...)                                                   \
    static const ::zzp::PluginEntry zzp_library_entries_[] = {__VA_ARGS__};                              \
    extern "C" ZZP_EXPORT const zzp_plugin_library* zzp_plugin_entry_v1(void) {                        \
        using zzp_fns_ = ::zzp::detail::LibraryFunctions<zzp_library_entries_,                           \
                                                         sizeof(zzp_library_entries_) /                   \
                                                             sizeof(zzp_library_entries_[0])>;             \
        static const zzp_plugin_library zzp_library_ = zzp_fns_::table(lib_name, lib_version);          \
        return &zzp_library_;                                                                            \
    }

#endif
