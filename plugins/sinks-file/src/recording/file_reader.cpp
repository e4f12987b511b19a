#include "file_reader.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

namespace zzp::rec {
namespace {

constexpr uint64_t kEndRecordSize = kRecordFrameSize + 8;
// Read-ahead asked for when chunks decode through the map: a file read chunk after chunk
// comes from the disk in large reads, not page by page (the map itself is MADV_RANDOM).
constexpr uint64_t kReadAhead = 256 << 10;

Fd open_read(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw IoError(errno, path, "cannot open the recording");
    return fd;
}

void check_magic(int fd, const std::string& path) {
    char magic[kFileMagicSize];
    if (!pread_all(fd, path, magic, sizeof magic, 0) || std::memcmp(magic, kFileMagic, sizeof magic) != 0)
        throw FormatError(path + ": not a zzprobe recording (the first 8 bytes are not \"ZZPREC1\\n\"); "
                                 "for files of the original tool use `zzprobe-file import`",
                          0);
}

// Read the record at `offset` with pread; on failure returns false with the reason. Adds the
// bytes read to `*counted` when given.
bool read_record(int fd, const std::string& path, uint64_t offset, uint64_t size, RecordFrame& f, std::string& payload,
                 std::string& problem, uint64_t* counted = nullptr) {
    char frame[kRecordFrameSize];
    if (offset + kRecordFrameSize > size) {
        problem = "a record frame is cut short (torn tail: " + std::to_string(size - offset) + " bytes)";
        return false;
    }
    pread_all(fd, path, frame, sizeof frame, offset);
    if (counted) *counted += kRecordFrameSize;
    if (!parse_frame(frame, offset, f)) {
        problem = "bytes that are not a record frame";
        return false;
    }
    if (f.end() > size) {
        problem = std::string("a ") + record_type_name(f.type) + " record is cut short (torn tail: " +
                  std::to_string(size - offset) + " of " + std::to_string(f.end() - offset) + " bytes)";
        return false;
    }
    payload.resize(f.payload_size);
    pread_all(fd, path, payload.data(), payload.size(), offset + kRecordFrameSize);
    if (counted) *counted += f.payload_size;
    return true;
}

bool is_chunk(RecordType t) { return t == RecordType::frames || t == RecordType::samples; }

}  // namespace

ScanReport scan_file(const std::string& path, bool decode_payloads) {
    Fd fd = open_read(path);
    check_magic(fd.get(), path);
    ScanReport r;
    r.file_size = file_size(fd.get(), path);
    uint64_t off = kFileMagicSize;
    std::optional<Quantizer> q;
    uint32_t version = kFormatVersion;
    std::string payload;
    while (off < r.file_size) {
        RecordFrame f;
        if (!read_record(fd.get(), path, off, r.file_size, f, payload, r.problem)) break;
        try {
            std::string raw = decode_payload(f, payload.data());
            if (off == kFileMagicSize && f.type != RecordType::header)
                throw FormatError("the first record is not a header", off);
            if (f.type == RecordType::header) {
                FileHeader h = decode_header(raw);
                q.emplace(h.precision);
                version = h.version;
            }
            if (decode_payloads && q) {
                ChunkOrigin origin;
                std::vector<zzp_frame> frames;
                std::vector<zzp_sample> samples;
                if (f.type == RecordType::frames) decode_frames(version, raw, *q, origin, frames);
                if (f.type == RecordType::samples) decode_samples(raw, *q, origin, samples);
                if (f.type == RecordType::targets) decode_targets(raw);
                if (f.type == RecordType::index) {
                    decode_index(raw);
                    decode_checkpoint(raw);
                }
                if (f.type == RecordType::pyramid) {
                    uint32_t t;
                    int l;
                    int64_t w;
                    std::vector<Summary> nodes;
                    decode_pyramid_level(raw, t, l, w, nodes);
                }
            }
        } catch (const FormatError& e) {
            r.problem = e.what();
            break;
        }
        r.records.push_back(f);
        off = f.end();
    }
    r.valid_end = off;
    r.clean = off == r.file_size;
    if (!r.clean) r.bad_offset = off;
    return r;
}

FileReader::FileReader(const std::string& path) : path_(path), fd_(open_read(path)) {
    check_magic(fd_.get(), path_);
    file_size_ = rec::file_size(fd_.get(), path_);
    RecordFrame hf;
    std::string payload, problem;
    if (!read_record(fd_.get(), path_, kFileMagicSize, file_size_, hf, payload, problem, &bytes_read_) ||
        hf.type != RecordType::header)
        throw FormatError(path_ + ": the file header is missing or damaged (" +
                              (problem.empty() ? "first record is not a header" : problem) + ")",
                          kFileMagicSize);
    try {
        header_ = decode_header(decode_payload(hf, payload.data()));
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": " + e.what(), kFileMagicSize);
    }
    quantizer_ = Quantizer(header_.precision);
    note_targets(header_.targets);
    try {
        map_ = MappedFile(fd_.get(), path_, file_size_);
    } catch (const IoError&) {
        // A file system that cannot map files: every read falls back to pread.
    }
    if (!open_from_footer() && !open_from_checkpoint()) open_by_scanning();
    open_stats_.bytes_read = bytes_read_;
}

void FileReader::note_targets(const std::vector<TargetMeta>& targets) {
    for (const auto& t : targets) {
        auto it = std::find_if(targets_.begin(), targets_.end(), [&](const TargetMeta& m) { return m.id == t.id; });
        if (it == targets_.end()) targets_.push_back(t);
        else *it = t;  // an address change: the latest wins
    }
}

const TargetMeta* FileReader::target(uint32_t id) const {
    for (const auto& t : targets_)
        if (t.id == id) return &t;
    return nullptr;
}

Pyramid& FileReader::pyramid_for(uint32_t id, int64_t fallback_interval_ns) const {
    const TargetMeta* t = target(id);
    return pyramids_.try_emplace(id, t ? t->interval_ns : fallback_interval_ns).first->second;
}

void FileReader::reset_contents() {
    chunks_.clear();
    pyramids_.clear();
    pyramid_offsets_.clear();
    pyramid_loaded_.clear();
    targets_.clear();
    note_targets(header_.targets);
    t_first_ = INT64_MAX;
    t_last_ = INT64_MIN;
    closed_ = false;
    valid_end_ = file_size_;
    mapped_end_ = 0;
    lazy_chunk_frames_ = false;
    open_stats_ = OpenStats{};
}

RecordFrame FileReader::read_frame_at(uint64_t offset) const {
    char buf[kRecordFrameSize];
    const char* frame = buf;
    bool ok = offset + kRecordFrameSize <= valid_end_;
    if (ok) {
        if (map_ && offset + kRecordFrameSize <= mapped_end_) frame = map_.data() + offset;
        else ok = pread_all(fd_.get(), path_, buf, sizeof buf, offset);
    }
    bytes_read_ += kRecordFrameSize;
    RecordFrame f;
    if (!ok || !parse_frame(frame, offset, f) || f.end() > valid_end_)
        throw FormatError(path_ + ": no valid record at byte " + std::to_string(offset), offset);
    return f;
}

RecordFrame FileReader::chunk_frame(const RecordFrame& c) const {
    if (!lazy_chunk_frames_) return c;
    RecordFrame f = read_frame_at(c.offset);
    // The footer's entry and the record must agree, as a footer that lists the whole frame is
    // trusted to (whose checksum then checks the payload).
    if (f.type != c.type || f.t_first != c.t_first || f.t_last != c.t_last)
        throw FormatError(path_ + ": the index lists a chunk at byte " + std::to_string(c.offset) +
                              " that is not there (the record there is a " + record_type_name(f.type) + " record)",
                          c.offset);
    return f;
}

std::string_view FileReader::payload_view(const RecordFrame& f, std::string& a, std::string& b) const {
    const uint64_t at = f.offset + kRecordFrameSize;
    const char* stored = nullptr;
    bytes_read_ += f.payload_size;
    if (map_ && f.end() <= mapped_end_) {
        stored = map_.data() + at;
    } else {
        a.resize(f.payload_size);
        if (!pread_all(fd_.get(), path_, a.data(), a.size(), at))
            throw FormatError(path_ + ": the record at byte " + std::to_string(f.offset) + " is cut short", f.offset);
        stored = a.data();
    }
    try {
        return decode_payload_view(f, stored, b);
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": " + e.what(), f.offset);
    }
}

std::string FileReader::read_payload(const RecordFrame& f) const {
    std::string a, b;
    return std::string(payload_view(f, a, b));
}

void FileReader::prefetch(const RecordFrame& c) const {
    if (!map_ || c.end() > mapped_end_ || (c.offset >= prefetched_from_ && c.end() <= prefetched_to_)) return;
    map_.will_need(c.offset, kReadAhead);
    prefetched_from_ = c.offset;
    prefetched_to_ = std::min(c.offset + kReadAhead, mapped_end_);
}

bool FileReader::open_from_footer() {
    if (file_size_ < kFileMagicSize + kEndRecordSize) return false;
    // The last 40 bytes through pread: until they prove the file closed, they may be part of a
    // record being written, which its writer may still cut off.
    RecordFrame end;
    std::string payload, problem;
    if (!read_record(fd_.get(), path_, file_size_ - kEndRecordSize, file_size_, end, payload, problem, &bytes_read_) ||
        end.type != RecordType::end || end.payload_size != 8)
        return false;
    try {
        std::string raw = decode_payload(end, payload.data());
        uint64_t index_offset = 0;
        for (int i = 0; i < 8; ++i) index_offset |= static_cast<uint64_t>(static_cast<uint8_t>(raw[i])) << (8 * i);
        valid_end_ = file_size_;
        mapped_end_ = file_size_;  // a closed file is complete: only appended to, never cut
        RecordFrame xf = read_frame_at(index_offset);
        if (xf.type != RecordType::index) throw FormatError("the end record does not point at an index", index_offset);
        // Cold opening: the index and the pyramid records sit together before the end record;
        // ask for them in one read rather than a page fault each.
        map_.will_need(index_offset, file_size_ - index_offset);
        FileIndex index = decode_index(read_payload(xf));
        uint64_t pyramid_from = index_offset;
        for (const auto& p : index.pyramid) pyramid_from = std::min(pyramid_from, p.offset);
        map_.will_need(pyramid_from, index_offset - pyramid_from);
        note_targets(index.targets);
        chunks_.reserve(index.chunks.size());
        // Opening never touches the chunks' pages. A footer written since checkpoints came lists
        // every chunk's whole frame; an older one only offset, type and time range, which is
        // all that opening and time queries need: chunk_frame() reads the rest when a chunk is
        // decoded. (Reading each frame here, through the map, faulted in nearly every page of
        // every file, a chunk being smaller than a page: a month of old files opened in 19.7 s
        // cold instead of 0.24 s, and kept 700 MB of them resident.)
        lazy_chunk_frames_ = !index.chunk_frames;
        open_stats_.lazy_chunk_frames = lazy_chunk_frames_;
        for (auto& c : index.chunks) {
            if (!is_chunk(c.type) || c.offset < kFileMagicSize || c.end() > file_size_)
                throw FormatError("the index lists a chunk that is not there", c.offset);
            chunks_.push_back(c);
            t_first_ = std::min(t_first_, c.t_first);
            t_last_ = std::max(t_last_, c.t_last);
        }
        for (const auto& p : index.pyramid) pyramid_offsets_[{p.target_id, p.level}] = p.offset;
        closed_ = true;
        lazy_below_ = first_stored_level(header_.version);
        open_stats_.mode = OpenStats::Mode::footer;
        return true;
    } catch (const FormatError&) {
        reset_contents();
        return false;
    }
}

// A file that was not closed: its checkpoints hold the level-2 pyramid nodes of what came
// before them, so only the chunks after the last one (and those of the bucket in progress at
// it) are decoded. docs/FORMAT.md, "Checkpoints".
bool FileReader::open_from_checkpoint() {
    // Hop from record frame to record frame (payloads unread) to find the checkpoints.
    std::vector<RecordFrame> records;
    for (uint64_t off = kFileMagicSize; off + kRecordFrameSize <= file_size_;) {
        char buf[kRecordFrameSize];
        RecordFrame f;
        if (!pread_all(fd_.get(), path_, buf, sizeof buf, off) || !parse_frame(buf, off, f) || f.end() > file_size_) break;
        bytes_read_ += kRecordFrameSize;
        records.push_back(f);
        off = f.end();
    }
    struct TargetState {
        int64_t width_ns = 0, until_ns = INT64_MIN;
        std::map<int64_t, Summary> nodes;  // by start: a later checkpoint's copy replaces an earlier one
    };
    std::map<uint32_t, TargetState> state;
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < records.size(); ++i) {
        if (records[i].type != RecordType::index) continue;
        std::optional<Checkpoint> cp;
        try {
            RecordFrame f;
            std::string payload, problem;
            if (!read_record(fd_.get(), path_, records[i].offset, file_size_, f, payload, problem, &bytes_read_)) break;
            cp = decode_checkpoint(decode_payload(f, payload.data()));
        } catch (const FormatError&) {
            break;  // damaged: the scan after the previous checkpoint stops here
        }
        if (!cp) continue;  // a footer of an earlier writer (the file was continued)
        for (auto& t : cp->targets) {
            auto& s = state[t.target_id];
            s.width_ns = t.width_ns;
            s.until_ns = t.until_ns;
            for (auto& n : t.nodes) s.nodes[n.start_ns] = n;
        }
        last = i;
        ++open_stats_.checkpoints;
    }
    if (last == SIZE_MAX) {
        open_stats_ = OpenStats{};
        return false;
    }
    try {
        // The records before the checkpoint are trusted as a footer is: its writer wrote it
        // after they were durable. Their payloads are checked when read.
        mapped_end_ = records[last].end();
        for (size_t i = 0; i < last; ++i) {
            const RecordFrame& f = records[i];
            if (f.type == RecordType::targets) note_targets(decode_targets(read_payload(f)));
            if (!is_chunk(f.type)) continue;
            chunks_.push_back(f);
            t_first_ = std::min(t_first_, f.t_first);
            t_last_ = std::max(t_last_, f.t_last);
        }
        int64_t min_until = INT64_MAX;
        for (auto& [id, s] : state) {
            Pyramid& pyr = pyramid_for(id, header_.frame_interval_ns);
            // A writer that saw another frame interval: its buckets are not ours.
            if (level_width(pyr.interval_ns(), kCheckpointLevel) != s.width_ns)
                throw FormatError("checkpoint bucket width differs from the target's", records[last].offset);
            std::vector<Summary> nodes;
            nodes.reserve(s.nodes.size());
            for (auto& [start, n] : s.nodes) nodes.push_back(n);
            pyr.set_level(kCheckpointLevel, std::move(nodes));
            min_until = std::min(min_until, s.until_ns);
        }
        // Frames before the checkpoint that no node holds: those of the level-2 bucket that
        // was in progress at it.
        std::vector<zzp_frame> frames;
        for (const auto& c : chunks_) {
            if (c.type != RecordType::frames || c.t_last < min_until) continue;
            frames.clear();
            ChunkOrigin o;
            std::string a, b;
            decode_frames(header_.version, payload_view(c, a, b), quantizer_, o, frames);
            ++open_stats_.chunks_decoded;
            for (const auto& fr : frames) {
                auto it = state.find(fr.target_id);
                if (it == state.end() || fr.start_wall_ns >= it->second.until_ns)
                    pyramid_for(fr.target_id, fr.interval_ns).add(fr, kCheckpointLevel, kCheckpointLevel);
            }
        }
    } catch (const FormatError&) {
        reset_contents();
        return false;  // scan the whole file instead, which finds where the damage is
    }
    open_stats_.mode = OpenStats::Mode::checkpoint;
    open_stats_.checkpoint_offset = records[last].offset;
    // What came after the checkpoint: verified and decoded like a scan.
    scan_from(records[last].end(), kCheckpointLevel, kCheckpointLevel);
    for (auto& [id, pyr] : pyramids_) {
        pyr.derive_levels_above(kCheckpointLevel);
        for (int l = kCheckpointLevel; l <= kPyramidLevels; ++l) pyramid_loaded_[{id, l}] = true;
    }
    lazy_below_ = kCheckpointLevel;
    return true;
}

void FileReader::scan_from(uint64_t offset, int first_level, int last_level) {
    uint64_t off = offset;
    std::string payload, problem, scratch;
    std::vector<zzp_frame> frames;
    std::vector<zzp_sample> samples;
    while (off < file_size_) {
        RecordFrame f;
        if (!read_record(fd_.get(), path_, off, file_size_, f, payload, problem, &bytes_read_)) break;
        try {
            std::string_view raw = decode_payload_view(f, payload.data(), scratch);
            ChunkOrigin origin;
            if (f.type == RecordType::targets) note_targets(decode_targets(raw));
            if (f.type == RecordType::frames) {
                frames.clear();
                decode_frames(header_.version, raw, quantizer_, origin, frames);
                ++open_stats_.chunks_decoded;
                for (const auto& fr : frames) pyramid_for(fr.target_id, fr.interval_ns).add(fr, first_level, last_level);
            } else if (f.type == RecordType::samples) {
                samples.clear();
                decode_samples(raw, quantizer_, origin, samples);
            }
        } catch (const FormatError&) {
            break;  // a damaged record ends what can be trusted, exactly like a torn one
        }
        ++open_stats_.records_scanned;
        if (is_chunk(f.type)) {
            chunks_.push_back(f);
            t_first_ = std::min(t_first_, f.t_first);
            t_last_ = std::max(t_last_, f.t_last);
        }
        off = f.end();
    }
    valid_end_ = off;
    mapped_end_ = std::min<uint64_t>(off, map_.size());
}

void FileReader::open_by_scanning() {
    reset_contents();
    scan_from(kFileMagicSize, 1, kPyramidLevels);
    for (auto& [id, p] : pyramids_)
        for (int l = 1; l <= kPyramidLevels; ++l) pyramid_loaded_[{id, l}] = true;
    lazy_below_ = 1;
    open_stats_.mode = OpenStats::Mode::scan;
}

std::vector<zzp_frame> FileReader::read_frames(const RecordFrame& c, ChunkOrigin* origin) const {
    std::vector<zzp_frame> out;
    ChunkOrigin o;
    const RecordFrame chunk = chunk_frame(c);
    prefetch(chunk);
    try {
        std::string a, b;
        decode_frames(header_.version, payload_view(chunk, a, b), quantizer_, o, out);
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": frame chunk at byte " + std::to_string(chunk.offset) + ": " + e.what(), chunk.offset);
    }
    if (origin) *origin = o;
    return out;
}

std::vector<zzp_sample> FileReader::read_samples(const RecordFrame& c, ChunkOrigin* origin) const {
    std::vector<zzp_sample> out;
    ChunkOrigin o;
    const RecordFrame chunk = chunk_frame(c);
    prefetch(chunk);
    try {
        std::string a, b;
        decode_samples(payload_view(chunk, a, b), quantizer_, o, out);
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": sample chunk at byte " + std::to_string(chunk.offset) + ": " + e.what(), chunk.offset);
    }
    if (origin) *origin = o;
    return out;
}

std::vector<zzp_frame> FileReader::all_frames() const {
    std::vector<zzp_frame> out;
    for (const auto& c : chunks_)
        if (c.type == RecordType::frames) {
            auto part = read_frames(c);
            out.insert(out.end(), part.begin(), part.end());
        }
    return out;
}

std::vector<zzp_sample> FileReader::all_samples() const {
    std::vector<zzp_sample> out;
    for (const auto& c : chunks_)
        if (c.type == RecordType::samples) {
            auto part = read_samples(c);
            out.insert(out.end(), part.begin(), part.end());
        }
    return out;
}

const std::vector<Summary>& FileReader::level_nodes(uint32_t id, int level) const {
    auto& pyr = pyramid_for(id, header_.frame_interval_ns);
    auto key = std::make_pair(id, level);
    if (!pyramid_loaded_[key]) {
        pyramid_loaded_[key] = true;
        auto it = pyramid_offsets_.find(key);
        if (it != pyramid_offsets_.end()) {
            uint32_t tid;
            int lvl;
            int64_t width;
            std::vector<Summary> nodes;
            try {
                decode_pyramid_level(read_payload(read_frame_at(it->second)), tid, lvl, width, nodes);
            } catch (const FormatError& e) {
                throw FormatError(path_ + ": pyramid record at byte " + std::to_string(it->second) + ": " + e.what(),
                                  it->second);
            }
            pyr.set_level(level, std::move(nodes));
        } else if (level < lazy_below_) {
            build_unstored_levels();
        }
    }
    return pyr.level(level);
}

bool FileReader::release_level(uint32_t id, int level) const {
    const auto key = std::make_pair(id, level);
    auto pyr = pyramids_.find(id);
    // Only what a 'P' record holds can be read again; levels built in memory cannot.
    if (pyr == pyramids_.end() || !pyramid_offsets_.contains(key)) return false;
    pyr->second.set_level(level, {});  // a fresh vector: the memory goes back, not just the size
    pyramid_loaded_.erase(key);
    return true;
}

// Levels a file does not store (a closed version 2 file: level 1; a file opened from a
// checkpoint: level 1) are built, for every target at once, from one pass over the frame
// chunks (each decoded once), the first time a query needs them.
void FileReader::build_unstored_levels() const {
    if (unstored_built_) return;
    unstored_built_ = true;
    const int last = lazy_below_ - 1;
    std::map<uint32_t, Pyramid> built;
    std::vector<zzp_frame> frames;
    for (const auto& entry : chunks_) {
        if (entry.type != RecordType::frames) continue;
        const RecordFrame c = chunk_frame(entry);
        frames.clear();
        ChunkOrigin o;
        prefetch(c);
        try {
            std::string a, b;
            decode_frames(header_.version, payload_view(c, a, b), quantizer_, o, frames);
        } catch (const FormatError& e) {
            throw FormatError(path_ + ": frame chunk at byte " + std::to_string(c.offset) + ": " + e.what(), c.offset);
        }
        Pyramid* pyr = nullptr;
        uint32_t pyr_target = 0;
        for (const auto& f : frames) {
            if (!pyr || f.target_id != pyr_target) {  // frames come grouped by target
                const TargetMeta* t = target(f.target_id);
                pyr = &built.try_emplace(f.target_id, t ? t->interval_ns : header_.frame_interval_ns).first->second;
                pyr_target = f.target_id;
            }
            pyr->add(f, 1, last);
        }
    }
    for (auto& [id, p] : built) {
        auto& pyr = pyramid_for(id, header_.frame_interval_ns);
        for (int level = 1; level <= last; ++level) {
            pyr.set_level(level, p.level(level));
            pyramid_loaded_[{id, level}] = true;
        }
    }
}

Summary FileReader::aggregate(uint32_t id, int64_t t0, int64_t t1, int min_level) const {
    Summary acc;
    acc.start_ns = t0;
    const TargetMeta* t = target(id);
    int64_t interval = t ? t->interval_ns : header_.frame_interval_ns;
    // With min_level > 0 a bucket counts where it starts, and a file's first bucket may start
    // before its first frame (hourly files do not fall on bucket edges).
    int64_t slack = pyramid_slack(interval, min_level);
    if (t0 >= t1 || t1 <= t_first_ - slack || t0 > t_last_) return acc;
    LevelSource src;
    src.nodes = [&](int level) -> const std::vector<Summary>& { return level_nodes(id, level); };
    src.frames = [&](Summary& a, int64_t lo, int64_t hi) {
        for (const auto& c : chunks_) {
            if (c.type != RecordType::frames || c.t_last < lo || c.t_first >= hi) continue;
            if (cached_chunk_offset_ != c.offset) {
                cached_frames_ = read_frames(c);
                cached_chunk_offset_ = c.offset;
            }
            for (const auto& f : cached_frames_)
                if (f.target_id == id && f.start_wall_ns >= lo && f.start_wall_ns < hi) a.add(f);
        }
    };
    rec::aggregate(acc, interval, t0, t1, min_level, src);
    return acc;
}

}  // namespace zzp::rec
