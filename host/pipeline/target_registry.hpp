// Process-wide table of targets: what zzp_host.intern_target registers and what sinks learn
// through on_target. Ids are small, dense and start at 1, so hot paths index vectors by id.
#pragma once

#include <zzprobe/target.h>

#include <cstdint>
#include <deque>
#include <map>
#include <shared_mutex>
#include <string>
#include <tuple>

namespace zzp::host {

struct TargetRecord {
    uint32_t id = 0;
    std::string name;
    std::string address;
    std::string method;  // probe plugin id
    std::string probe;   // probe instance id
    int64_t interval_ns = 0;

    // A view for zzp_sink_ext.on_target; valid while this record lives (for ever).
    zzp_target_info info() const;
};

class TargetRegistry {
public:
    // The registry every pipeline of the process uses unless given its own.
    static TargetRegistry& global();

    // Same (probe instance, name, address) → same id. Returns 0 for an invalid request (empty
    // name). The first registration fixes method and interval. [thread-safe]
    uint32_t intern(const std::string& probe, const std::string& method, const std::string& name,
                    const std::string& address, int64_t interval_ns);

    // The record of `id`, or nullptr. Records never move or die. [thread-safe]
    const TargetRecord* find(uint32_t id) const;

    // Highest id handed out so far. [thread-safe]
    uint32_t max_id() const;

private:
    mutable std::shared_mutex mutex_;
    std::deque<TargetRecord> records_;  // records_[id - 1]; deque keeps addresses stable
    std::map<std::tuple<std::string, std::string, std::string>, uint32_t> ids_;
};

}  // namespace zzp::host
