// What the udp-stream-source probe does with a remote stream, free of the plugin ABI so tests
// drive it directly: map the remote sink's target ids to ids interned on this host, hold frames
// whose target record has not arrived yet (a lost target datagram is repaired later), drop
// what this relay already passed on (a re-subscription asks for a few seconds of history it
// has seen), and hand frames on in batches.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "protocol/messages.hpp"

namespace zzp::stream {

struct RelayCounters {
    uint64_t targets = 0;               // remote targets mapped to local ids
    uint64_t frames_received = 0;       // frames the stream delivered
    uint64_t frames_published = 0;      // frames handed to the host
    uint64_t duplicates_dropped = 0;    // already passed on (overlap after a re-subscription)
    uint64_t frames_held = 0;           // currently waiting for their target record
    uint64_t frames_dropped_no_target = 0;  // hold buffer full, or the target could not be interned
};

class FrameRelay {
public:
    // Interns (name, address) on the local host; 0 when refused.
    using Intern = std::function<uint32_t(const std::string& name, const std::string& address)>;
    // Hands frames (target ids already local) to the local host.
    using Publish = std::function<void(const zzp_frame* frames, size_t count)>;

    // Frames waiting for a target record, over all targets; more are dropped and counted.
    static constexpr size_t kMaxHeldFrames = 100'000;
    // Interval starts remembered per target to drop repeats; a re-subscription overlaps the
    // last few seconds, this covers minutes (at 100 ms per frame).
    static constexpr size_t kRememberedIntervals = 8192;

    FrameRelay(Intern intern, Publish publish) : intern_(std::move(intern)), publish_(std::move(publish)) {}

    void on_target(const TargetRecord& t);
    void on_frame(const zzp_frame& f);
    // Publish what on_target/on_frame collected (one call to Publish).
    void flush();

    const RelayCounters& counters() const { return counters_; }

private:
    struct Seen {
        uint32_t revision = 0;
        bool final = false;
    };
    void accept(zzp_frame f, uint32_t local_id);

    Intern intern_;
    Publish publish_;
    std::unordered_map<uint32_t, uint32_t> local_id_;             // remote id -> local id
    std::map<std::tuple<std::string, std::string>, uint32_t> names_;  // local (name, address) -> remote id
    std::unordered_map<uint32_t, std::vector<zzp_frame>> held_;  // remote id -> frames
    std::unordered_map<uint32_t, std::map<int64_t, Seen>> seen_;  // local id -> start -> passed on
    std::vector<zzp_frame> out_;
    RelayCounters counters_;
};

}  // namespace zzp::stream
