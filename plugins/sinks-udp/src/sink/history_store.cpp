#include "history_store.hpp"

#include <algorithm>

namespace zzp::stream {

void ChunkPacker::add(const zzp_frame& f) {
    if (!builder_.add_frame(f)) {
        seal();
        builder_.add_frame(f);
    }
    ++frames_;
    newest_ = std::max(newest_, f.start_wall_ns);
}

void ChunkPacker::add(const TargetRecord& t) {
    if (!builder_.add_target(t)) {
        seal();
        builder_.add_target(t);
    }
}

void ChunkPacker::seal() {
    if (builder_.empty()) return;
    auto c = std::make_shared<Chunk>();
    c->records = builder_.take();
    c->frame_count = frames_;
    c->newest_start_ns = newest_;
    out_.push_back(std::move(c));
    frames_ = 0;
    newest_ = INT64_MIN;
}

std::vector<ChunkPtr> ChunkPacker::finish() {
    seal();
    return std::move(out_);
}

void HistoryStore::set_target(const TargetRecord& t) { targets_[t.id] = t; }

void HistoryStore::add_frame(const zzp_frame& f) {
    TargetHistory& h = history_[f.target_id];
    newest_start_ = std::max(newest_start_, f.start_wall_ns);
    auto live = h.live.find(f.start_wall_ns);
    if (f.flags & ZZP_FRAME_F_FINAL) {
        if (live != h.live.end()) {
            h.live.erase(live);
            --frames_;
        }
        if (!h.open.add_frame(f)) {
            seal_open(h);
            h.open.add_frame(f);
        }
        ++h.open_frames;
        ++frames_;
        h.open_newest = std::max(h.open_newest, f.start_wall_ns);
    } else if (live == h.live.end()) {
        h.live.emplace(f.start_wall_ns, f);
        ++frames_;
    } else if (f.revision >= live->second.revision) {
        live->second = f;
    }
    evict();
}

void HistoryStore::seal_open(TargetHistory& h) {
    if (h.open.empty()) return;
    auto c = std::make_shared<Chunk>();
    c->records = h.open.take();
    c->frame_count = h.open_frames;
    c->newest_start_ns = h.open_newest;
    bytes_ += c->records.size();
    h.sealed.push_back(std::move(c));
    h.open_frames = 0;
    h.open_newest = INT64_MIN;
}

void HistoryStore::evict() {
    if (newest_start_ == INT64_MIN) return;
    const int64_t cutoff = newest_start_ - window_ns_;
    for (auto& [id, h] : history_) {
        while (!h.sealed.empty() && h.sealed.front()->newest_start_ns < cutoff) {
            frames_ -= h.sealed.front()->frame_count;
            bytes_ -= h.sealed.front()->records.size();
            h.sealed.pop_front();
        }
        while (!h.live.empty() && h.live.begin()->first < cutoff) {
            h.live.erase(h.live.begin());
            --frames_;
        }
    }
}

std::vector<ChunkPtr> HistoryStore::snapshot(int64_t history_ns) const {
    ChunkPacker target_packer;
    for (const auto& [id, t] : targets_) target_packer.add(t);
    std::vector<ChunkPtr> out = target_packer.finish();
    if (newest_start_ == INT64_MIN) return out;

    const int64_t span = std::clamp<int64_t>(history_ns, 0, window_ns_);
    const int64_t cutoff = newest_start_ - span;
    std::vector<ChunkPtr> frames;
    for (const auto& [id, h] : history_) {
        for (const ChunkPtr& c : h.sealed)
            if (c->newest_start_ns >= cutoff) frames.push_back(c);
        ChunkPacker tail;
        if (!h.open.empty() && h.open_newest >= cutoff) {
            // The open list is already encoded; copy it rather than re-encoding its frames.
            RecordListBuilder copy = h.open;
            auto c = std::make_shared<Chunk>();
            c->records = copy.take();
            c->frame_count = h.open_frames;
            c->newest_start_ns = h.open_newest;
            frames.push_back(std::move(c));
        }
        for (const auto& [start, f] : h.live)
            if (start >= cutoff) tail.add(f);
        for (ChunkPtr& c : tail.finish()) frames.push_back(std::move(c));
    }
    std::stable_sort(frames.begin(), frames.end(),
                     [](const ChunkPtr& a, const ChunkPtr& b) { return a->newest_start_ns < b->newest_start_ns; });
    out.insert(out.end(), frames.begin(), frames.end());
    return out;
}

}  // namespace zzp::stream
