#include "pipeline/target_registry.hpp"

#include <mutex>

namespace zzp::host {

zzp_target_info TargetRecord::info() const {
    zzp_target_info t{};
    t.struct_size = sizeof t;
    t.id = id;
    t.name = name.c_str();
    t.address = address.c_str();
    t.method = method.c_str();
    t.probe = probe.c_str();
    t.interval_ns = interval_ns;
    return t;
}

TargetRegistry& TargetRegistry::global() {
    static TargetRegistry registry;
    return registry;
}

uint32_t TargetRegistry::intern(const std::string& probe, const std::string& method, const std::string& name,
                                const std::string& address, int64_t interval_ns) {
    if (name.empty()) return 0;
    auto key = std::make_tuple(probe, name, address);
    {
        std::shared_lock lock(mutex_);
        if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    TargetRecord& r = records_.emplace_back();
    r.id = static_cast<uint32_t>(records_.size());
    r.name = name;
    r.address = address;
    r.method = method;
    r.probe = probe;
    r.interval_ns = interval_ns;
    ids_.emplace(std::move(key), r.id);
    return r.id;
}

const TargetRecord* TargetRegistry::find(uint32_t id) const {
    std::shared_lock lock(mutex_);
    if (id == 0 || id > records_.size()) return nullptr;
    return &records_[id - 1];
}

uint32_t TargetRegistry::max_id() const {
    std::shared_lock lock(mutex_);
    return static_cast<uint32_t>(records_.size());
}

}  // namespace zzp::host
