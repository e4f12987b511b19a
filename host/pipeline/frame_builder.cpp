#include "pipeline/frame_builder.hpp"

#include <algorithm>
#include <stdexcept>

namespace zzp::host {

FrameBuilder::FrameBuilder(FrameBuilderOptions options) : options_(options) {
    if (options_.interval_ns <= 0) throw std::invalid_argument("frame interval must be positive");
    if (options_.settle_timeout_ns < 0) throw std::invalid_argument("settle timeout must not be negative");
}

size_t FrameBuilder::open_frames() const {
    size_t n = 0;
    for (uint32_t id : active_) n += targets_[id].frames.size();
    return n;
}

void FrameBuilder::push(const zzp_sample* samples, size_t count) {
    for (size_t i = 0; i < count; ++i) account(samples[i]);
}

void FrameBuilder::account(const zzp_sample& s) {
    ++counters_.samples;
    if (s.target_id == 0 || s.status >= ZZP_SAMPLE_STATUS_COUNT) {
        ++counters_.invalid;
        return;
    }
    if (s.target_id >= targets_.size()) targets_.resize(static_cast<size_t>(s.target_id) + 1);
    TargetState& t = targets_[s.target_id];
    const int64_t start = interval_start(s.sent_wall_ns);

    if (s.status == ZZP_SAMPLE_SENT) {
        AttemptEntry* entry = t.attempts.insert(s.seq);
        if (!entry) {
            // A sequence that went backwards or jumped too far to track: ignore the
            // announcement; its settle then counts the attempt as unannounced.
            ++counters_.untracked_announcements;
            return;
        }
        if (entry->state != AttemptState::unknown) {
            ++counters_.repeated_records;
            return;
        }
        OpenFrame* f = find_or_open_frame(t, s.target_id, start);
        if (!f) {
            ++counters_.settled_after_final;
            return;
        }
        ++f->sent;
        ++f->pending;
        *entry = AttemptEntry{start, AttemptState::pending};
        mark_changed(t, s.target_id, *f);
        return;
    }

    if (zzp_sample_settles(s.status)) {
        AttemptEntry* entry = t.attempts.find(s.seq);
        if (entry && entry->state == AttemptState::pending) {
            OpenFrame* f = find_frame(t, entry->frame_start_ns);
            entry->state = AttemptState::settled;
            if (f) {
                --f->pending;
                count_outcome(*f, s);
                mark_changed(t, s.target_id, *f);
            }
            return;
        }
        if (entry && entry->state == AttemptState::settled) {
            ++counters_.repeated_records;
            return;
        }
        if (entry && entry->state == AttemptState::forced) {
            entry->state = AttemptState::settled;
            ++counters_.settled_after_final;
            return;
        }
        if (!entry) entry = t.attempts.insert(s.seq);  // remembered, so a repeat is recognised
        if (entry) *entry = AttemptEntry{start, AttemptState::settled};
        OpenFrame* f = find_or_open_frame(t, s.target_id, start);
        if (!f) {
            ++counters_.settled_after_final;
            return;
        }
        ++f->sent;
        count_outcome(*f, s);
        mark_changed(t, s.target_id, *f);
        return;
    }

    // LATE or DUPLICATE: an event about an attempt that already settled.
    OpenFrame* f = find_frame(t, start);
    if (!f) {
        ++(s.status == ZZP_SAMPLE_LATE ? counters_.late_after_final : counters_.duplicates_after_final);
        return;
    }
    ++(s.status == ZZP_SAMPLE_LATE ? f->late : f->duplicates);
    mark_changed(t, s.target_id, *f);
}

void FrameBuilder::count_outcome(OpenFrame& f, const zzp_sample& s) {
    switch (s.status) {
    case ZZP_SAMPLE_REPLY:
        ++f.received;
        if (s.flags & ZZP_SAMPLE_F_REORDERED) ++f.reordered;
        f.rtts.push_back(RttPoint{s.seq, s.rtt_ns});
        break;
    case ZZP_SAMPLE_LOST: ++f.lost; break;
    default: ++f.errors; break;  // SEND_ERROR, NET_ERROR
    }
}

FrameBuilder::OpenFrame* FrameBuilder::find_frame(TargetState& t, int64_t start_ns) {
    // Newest first: nearly every sample belongs to one of the last two intervals.
    for (auto it = t.frames.rbegin(); it != t.frames.rend(); ++it) {
        if (it->start_ns == start_ns) return &*it;
        if (it->start_ns < start_ns) break;
    }
    return nullptr;
}

FrameBuilder::OpenFrame* FrameBuilder::find_or_open_frame(TargetState& t, uint32_t id, int64_t start_ns) {
    if (OpenFrame* f = find_frame(t, start_ns)) return f;
    if (start_ns <= t.last_final_start_ns) return nullptr;  // already published as final
    auto pos = std::upper_bound(t.frames.begin(), t.frames.end(), start_ns,
                                [](int64_t s, const OpenFrame& f) { return s < f.start_ns; });
    pos = t.frames.insert(pos, OpenFrame{});
    pos->start_ns = start_ns;
    if (!rtt_pool_.empty()) {
        pos->rtts.swap(rtt_pool_.back());
        rtt_pool_.pop_back();
    }
    if (!t.active) {
        t.active = true;
        active_.push_back(id);
    }
    next_deadline_ = std::min(next_deadline_, start_ns + options_.interval_ns);
    return &*pos;
}

void FrameBuilder::mark_changed(TargetState& t, uint32_t id, OpenFrame& f) {
    f.changed = true;
    // Frames of intervals that already ended need attention at the next advance(), not only at
    // the next tick: a FINAL is published as soon as nothing is pending.
    if (!t.dirty && f.start_ns + options_.interval_ns <= last_now_) {
        t.dirty = true;
        dirty_.push_back(id);
    }
}

void FrameBuilder::advance(int64_t now, std::vector<zzp_frame>& out) {
    last_now_ = now;
    if (now >= next_deadline_) {
        int64_t next = kNever;
        size_t kept = 0;
        for (uint32_t id : active_) {
            next = std::min(next, process_target(id, now, out));
            TargetState& t = targets_[id];
            t.dirty = false;
            if (t.frames.empty()) t.active = false;
            else active_[kept++] = id;
        }
        active_.resize(kept);
        for (uint32_t id : dirty_) targets_[id].dirty = false;
        dirty_.clear();
        next_deadline_ = next;
        return;
    }
    for (uint32_t id : dirty_) {
        TargetState& t = targets_[id];
        t.dirty = false;
        next_deadline_ = std::min(next_deadline_, process_target(id, now, out));
        // An emptied target stays in active_ until the next full pass drops it.
    }
    dirty_.clear();
}

int64_t FrameBuilder::process_target(uint32_t id, int64_t now, std::vector<zzp_frame>& out) {
    TargetState& t = targets_[id];
    const int64_t interval = options_.interval_ns;
    int64_t due = kNever;
    for (size_t i = 0; i < t.frames.size();) {
        OpenFrame& f = t.frames[i];
        const int64_t end = f.start_ns + interval;
        if (end > now) {
            due = std::min(due, end);
            ++i;
            continue;
        }
        if (f.pending == 0) {
            publish(id, f, ZZP_FRAME_F_FINAL, out);
            retire(t, i);
            continue;
        }
        if (now >= end + options_.settle_timeout_ns) {
            force(t, f);
            publish(id, f, ZZP_FRAME_F_FINAL | ZZP_FRAME_F_FORCED, out);
            retire(t, i);
            continue;
        }
        const int64_t next_tick = interval_start(now) + interval;
        if (!f.published || (f.changed && now >= f.next_revision_ns)) {
            publish(id, f, 0, out);
            f.next_revision_ns = next_tick;
        } else if (f.changed) {
            due = std::min(due, f.next_revision_ns);
        }
        due = std::min(due, end + options_.settle_timeout_ns);
        ++i;
    }
    return due;
}

void FrameBuilder::publish(uint32_t id, OpenFrame& f, uint32_t flags, std::vector<zzp_frame>& out) {
    zzp_frame& fr = out.emplace_back();
    fr = zzp_frame{};
    fr.start_wall_ns = f.start_ns;
    fr.interval_ns = options_.interval_ns;
    fr.target_id = id;
    fr.revision = f.next_revision++;
    fr.flags = flags;
    fr.sent = f.sent;
    fr.received = f.received;
    fr.lost = f.lost;
    fr.errors = f.errors;
    fr.late = f.late;
    fr.duplicates = f.duplicates;
    fr.reordered = f.reordered;
    fr.pending = f.pending;
    summarize_rtt(f.rtts, scratch_, &fr);
    f.published = true;
    f.changed = false;
}

void FrameBuilder::force(TargetState& t, OpenFrame& f) {
    ++counters_.forced_frames;
    f.lost += f.pending;
    f.pending = 0;
    t.attempts.for_each([&](AttemptEntry& e) {
        if (e.state == AttemptState::pending && e.frame_start_ns == f.start_ns) e.state = AttemptState::forced;
    });
}

void FrameBuilder::retire(TargetState& t, size_t index) {
    OpenFrame& f = t.frames[index];
    t.last_final_start_ns = std::max(t.last_final_start_ns, f.start_ns);
    f.rtts.clear();
    rtt_pool_.push_back(std::move(f.rtts));
    t.frames.erase(t.frames.begin() + static_cast<std::ptrdiff_t>(index));
}

void FrameBuilder::finalize_all(std::vector<zzp_frame>& out) {
    for (uint32_t id : active_) {
        TargetState& t = targets_[id];
        while (!t.frames.empty()) {
            OpenFrame& f = t.frames.front();
            uint32_t flags = ZZP_FRAME_F_FINAL;
            if (f.pending > 0) {
                force(t, f);
                flags |= ZZP_FRAME_F_FORCED;
            }
            publish(id, f, flags, out);
            retire(t, 0);
        }
        t.active = false;
        t.dirty = false;
    }
    active_.clear();
    dirty_.clear();
    next_deadline_ = kNever;
}

}  // namespace zzp::host
