#include "frame_relay.hpp"

namespace zzp::stream {

void FrameRelay::on_target(const TargetRecord& t) {
    // Targets keep their remote name, so a recording on this host reads like one made there.
    // Two remote probes may measure the same (name, address); the host interns by (name,
    // address) for this relay instance, so the second one is qualified by its remote probe.
    std::string name = t.name.empty() ? "#" + std::to_string(t.id) : t.name;
    auto key = std::make_tuple(name, t.address);
    auto owner = names_.find(key);
    if (owner != names_.end() && owner->second != t.id) {
        name = (t.probe.empty() ? "#" + std::to_string(t.id) : t.probe) + "/" + name;
        key = std::make_tuple(name, t.address);
    }
    uint32_t local = intern_(name, t.address);
    if (local == 0) return;  // held frames of it stay held until the cap drops them
    names_[key] = t.id;
    auto [it, inserted] = local_id_.insert_or_assign(t.id, local);
    (void)it;
    if (inserted) ++counters_.targets;
    auto held = held_.find(t.id);
    if (held == held_.end()) return;
    std::vector<zzp_frame> frames = std::move(held->second);
    held_.erase(held);
    counters_.frames_held -= frames.size();
    for (const zzp_frame& f : frames) accept(f, local);
}

void FrameRelay::on_frame(const zzp_frame& f) {
    ++counters_.frames_received;
    auto local = local_id_.find(f.target_id);
    if (local != local_id_.end()) return accept(f, local->second);
    if (counters_.frames_held >= kMaxHeldFrames) {
        ++counters_.frames_dropped_no_target;
        return;
    }
    held_[f.target_id].push_back(f);
    ++counters_.frames_held;
}

void FrameRelay::accept(zzp_frame f, uint32_t local_id) {
    std::map<int64_t, Seen>& seen = seen_[local_id];
    const bool final = (f.flags & ZZP_FRAME_F_FINAL) != 0;
    auto it = seen.find(f.start_wall_ns);
    if (it != seen.end()) {
        // Passed on already: the final (nothing may follow it), or this revision or a later one.
        if (it->second.final || (!final && f.revision <= it->second.revision)) {
            ++counters_.duplicates_dropped;
            return;
        }
        it->second = Seen{f.revision, final};
    } else {
        seen.emplace(f.start_wall_ns, Seen{f.revision, final});
        if (seen.size() > kRememberedIntervals) seen.erase(seen.begin());
    }
    f.target_id = local_id;
    out_.push_back(f);
}

void FrameRelay::flush() {
    if (out_.empty()) return;
    counters_.frames_published += out_.size();
    publish_(out_.data(), out_.size());
    out_.clear();
}

}  // namespace zzp::stream
