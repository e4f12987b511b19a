#include "fake_host.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

namespace zzp::test {
namespace {

int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

FakeHost* self(const zzp_host* h) { return static_cast<FakeHost*>(h->host_data); }

// Minimal unit parsing for tests; the real host's parser lives in host/config.
bool parse_with_units(const std::string& s, const std::map<std::string, double>& units, double* out) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return false;
    double v = std::stod(s.substr(0, i));
    std::string unit = s.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    auto it = units.find(unit);
    if (it == units.end()) return false;
    *out = v * it->second;
    return true;
}

}  // namespace

FakeHost::FakeHost(std::string instance_id) : instance_id_(std::move(instance_id)) {
    table_.struct_size = sizeof table_;
    table_.host_data = this;
    table_.instance_id = instance_id_.c_str();
    table_.log = &log_cb;
    table_.intern_target = &intern_cb;
    table_.emit = &emit_cb;
    table_.wall_now_ns = &wall_cb;
    table_.mono_now_ns = &mono_cb;
    table_.request_stop = &stop_cb;
    table_.get_extension = &ext_cb;
}

std::vector<zzp_sample> FakeHost::samples() const {
    std::lock_guard lock(mutex_);
    return samples_;
}
std::vector<std::string> FakeHost::logs() const {
    std::lock_guard lock(mutex_);
    return logs_;
}
std::map<uint32_t, std::string> FakeHost::targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
}
bool FakeHost::stop_requested() const {
    std::lock_guard lock(mutex_);
    return stop_requested_;
}
size_t FakeHost::wait_for_samples(size_t n, int timeout_ms) const {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return samples_.size() >= n; });
    return samples_.size();
}

void FakeHost::log_cb(const zzp_host* h, int level, const char* msg) {
    static const char* names[] = {"debug", "info", "warning", "error"};
    std::lock_guard lock(self(h)->mutex_);
    self(h)->logs_.push_back(std::string(level >= 0 && level <= 3 ? names[level] : "?") + ": " + (msg ? msg : ""));
}
uint32_t FakeHost::intern_cb(const zzp_host* h, const zzp_target_desc* d) {
    if (!d || !d->name || !d->address) return 0;
    FakeHost* s = self(h);
    std::lock_guard lock(s->mutex_);
    std::string key = std::string(d->name) + "|" + d->address;
    auto it = s->target_ids_.find(key);
    if (it != s->target_ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(s->target_ids_.size() + 1);
    s->target_ids_[key] = id;
    s->targets_[id] = key;
    return id;
}
void FakeHost::emit_cb(const zzp_host* h, const zzp_sample* samples, uint32_t n) {
    FakeHost* s = self(h);
    {
        std::lock_guard lock(s->mutex_);
        s->samples_.insert(s->samples_.end(), samples, samples + n);
    }
    s->cv_.notify_all();
}
int64_t FakeHost::wall_cb(const zzp_host* h) {
    int64_t o = self(h)->wall_override_;
    return o >= 0 ? o : clock_ns(CLOCK_REALTIME);
}
int64_t FakeHost::mono_cb(const zzp_host* h) {
    int64_t o = self(h)->mono_override_;
    return o >= 0 ? o : clock_ns(CLOCK_MONOTONIC);
}
void FakeHost::stop_cb(const zzp_host* h, const char*) {
    std::lock_guard lock(self(h)->mutex_);
    self(h)->stop_requested_ = true;
}
const void* FakeHost::ext_cb(const zzp_host*, const char*) { return nullptr; }

// ---- FakeConfig ---------------------------------------------------------------------------------

FakeConfig::FakeConfig(const std::string& toml_text) : root_(toml::parse(toml_text)) {
    table_.struct_size = sizeof table_;
    table_.host_data = this;
    table_.source_path = "test.toml";
    table_.get_string = [](const zzp_config* c, const char* p, const char** out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (!n->is_string()) return ZZP_E_INVALID;
        *out = n->as_string()->get().c_str();
        return ZZP_OK;
    };
    table_.get_int = [](const zzp_config* c, const char* p, int64_t* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (!n->is_integer()) return ZZP_E_INVALID;
        *out = n->as_integer()->get();
        return ZZP_OK;
    };
    table_.get_float = [](const zzp_config* c, const char* p, double* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (n->is_floating_point()) *out = n->as_floating_point()->get();
        else if (n->is_integer()) *out = static_cast<double>(n->as_integer()->get());
        else return ZZP_E_INVALID;
        return ZZP_OK;
    };
    table_.get_bool = [](const zzp_config* c, const char* p, int* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (!n->is_boolean()) return ZZP_E_INVALID;
        *out = n->as_boolean()->get() ? 1 : 0;
        return ZZP_OK;
    };
    table_.get_duration = [](const zzp_config* c, const char* p, int64_t* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (!n->is_string()) return ZZP_E_INVALID;
        static const std::map<std::string, double> units = {{"ns", 1},      {"us", 1e3},   {"ms", 1e6},     {"s", 1e9},
                                                            {"m", 60e9},    {"h", 3600e9}, {"d", 86400e9}};
        double v = 0;
        if (!parse_with_units(n->as_string()->get(), units, &v)) return ZZP_E_INVALID;
        *out = static_cast<int64_t>(std::llround(v));
        return ZZP_OK;
    };
    table_.get_size = [](const zzp_config* c, const char* p, uint64_t* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (n->is_integer()) {
            *out = static_cast<uint64_t>(n->as_integer()->get());
            return ZZP_OK;
        }
        if (!n->is_string()) return ZZP_E_INVALID;
        static const std::map<std::string, double> units = {
            {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
        double v = 0;
        if (!parse_with_units(n->as_string()->get(), units, &v)) return ZZP_E_INVALID;
        *out = static_cast<uint64_t>(std::llround(v));
        return ZZP_OK;
    };
    table_.get_length = [](const zzp_config* c, const char* p, uint64_t* out) {
        const toml::node* n = find(c, p);
        if (!n) return ZZP_E_NOT_FOUND;
        if (!n->is_array()) return ZZP_E_INVALID;
        *out = n->as_array()->size();
        return ZZP_OK;
    };
}

const toml::node* FakeConfig::find(const zzp_config* c, const char* path) {
    auto* s = static_cast<FakeConfig*>(c->host_data);
    if (!path) return nullptr;
    toml::node_view<const toml::node> v = static_cast<const toml::table&>(s->root_).at_path(path);
    return v.node();
}

}  // namespace zzp::test
