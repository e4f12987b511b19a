#include "file_reader.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

namespace zzp::rec {
namespace {

constexpr uint64_t kEndRecordSize = kRecordFrameSize + 8;

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

// Read the record at `offset`; on failure returns false with the reason.
bool read_record(int fd, const std::string& path, uint64_t offset, uint64_t size, RecordFrame& f, std::string& payload,
                 std::string& problem) {
    char frame[kRecordFrameSize];
    if (offset + kRecordFrameSize > size) {
        problem = "a record frame is cut short (torn tail: " + std::to_string(size - offset) + " bytes)";
        return false;
    }
    pread_all(fd, path, frame, sizeof frame, offset);
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
    return true;
}

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
                if (f.type == RecordType::index) decode_index(raw);
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
    if (!read_record(fd_.get(), path_, kFileMagicSize, file_size_, hf, payload, problem) || hf.type != RecordType::header)
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
    if (!open_from_footer()) open_by_scanning();
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

RecordFrame FileReader::read_frame_at(uint64_t offset) const {
    char frame[kRecordFrameSize];
    RecordFrame f;
    if (offset + kRecordFrameSize > valid_end_ || !pread_all(fd_.get(), path_, frame, sizeof frame, offset) ||
        !parse_frame(frame, offset, f) || f.end() > valid_end_)
        throw FormatError(path_ + ": no valid record at byte " + std::to_string(offset), offset);
    return f;
}

std::string FileReader::read_payload(const RecordFrame& f) const {
    std::string payload(f.payload_size, '\0');
    if (!pread_all(fd_.get(), path_, payload.data(), payload.size(), f.offset + kRecordFrameSize))
        throw FormatError(path_ + ": the record at byte " + std::to_string(f.offset) + " is cut short", f.offset);
    try {
        decode_payload_in_place(f, payload);
        return payload;
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": " + e.what(), f.offset);
    }
}

bool FileReader::open_from_footer() {
    if (file_size_ < kFileMagicSize + kEndRecordSize) return false;
    try {
        valid_end_ = file_size_;
        RecordFrame end = read_frame_at(file_size_ - kEndRecordSize);
        if (end.type != RecordType::end || end.payload_size != 8) return false;
        std::string raw = read_payload(end);
        uint64_t index_offset = 0;
        for (int i = 0; i < 8; ++i) index_offset |= static_cast<uint64_t>(static_cast<uint8_t>(raw[i])) << (8 * i);
        RecordFrame xf = read_frame_at(index_offset);
        if (xf.type != RecordType::index) return false;
        FileIndex index = decode_index(read_payload(xf));
        note_targets(index.targets);
        for (auto& c : index.chunks) {
            RecordFrame full = read_frame_at(c.offset);
            if (full.type != c.type) return false;
            chunks_.push_back(full);
            t_first_ = std::min(t_first_, full.t_first);
            t_last_ = std::max(t_last_, full.t_last);
        }
        for (const auto& p : index.pyramid) pyramid_offsets_[{p.target_id, p.level}] = p.offset;
        closed_ = true;
        return true;
    } catch (const FormatError&) {
        chunks_.clear();
        pyramid_offsets_.clear();
        t_first_ = INT64_MAX;
        t_last_ = INT64_MIN;
        return false;
    }
}

void FileReader::open_by_scanning() {
    valid_end_ = file_size_;
    uint64_t off = kFileMagicSize;
    std::string payload, problem;
    while (off < file_size_) {
        RecordFrame f;
        if (!read_record(fd_.get(), path_, off, file_size_, f, payload, problem)) break;
        std::string raw;
        try {
            raw = decode_payload(f, payload.data());
            if (f.type == RecordType::targets) note_targets(decode_targets(raw));
            if (f.type == RecordType::frames) {
                ChunkOrigin origin;
                std::vector<zzp_frame> frames;
                decode_frames(header_.version, raw, quantizer_, origin, frames);
                for (const auto& fr : frames) {
                    const TargetMeta* t = target(fr.target_id);
                    auto it = pyramids_.try_emplace(fr.target_id, t ? t->interval_ns : fr.interval_ns).first;
                    it->second.add(fr);
                }
            } else if (f.type == RecordType::samples) {
                ChunkOrigin origin;
                std::vector<zzp_sample> samples;
                decode_samples(raw, quantizer_, origin, samples);
            }
        } catch (const FormatError&) {
            break;  // a damaged record ends what can be trusted, exactly like a torn one
        }
        if (f.type == RecordType::frames || f.type == RecordType::samples) {
            chunks_.push_back(f);
            t_first_ = std::min(t_first_, f.t_first);
            t_last_ = std::max(t_last_, f.t_last);
        }
        off = f.end();
    }
    valid_end_ = off;
    for (auto& [id, p] : pyramids_)
        for (int l = 1; l <= kPyramidLevels; ++l) pyramid_loaded_[{id, l}] = true;
}

std::vector<zzp_frame> FileReader::read_frames(const RecordFrame& chunk, ChunkOrigin* origin) const {
    std::vector<zzp_frame> out;
    ChunkOrigin o;
    try {
        decode_frames(header_.version, read_payload(chunk), quantizer_, o, out);
    } catch (const FormatError& e) {
        throw FormatError(path_ + ": frame chunk at byte " + std::to_string(chunk.offset) + ": " + e.what(), chunk.offset);
    }
    if (origin) *origin = o;
    return out;
}

std::vector<zzp_sample> FileReader::read_samples(const RecordFrame& chunk, ChunkOrigin* origin) const {
    std::vector<zzp_sample> out;
    ChunkOrigin o;
    try {
        decode_samples(read_payload(chunk), quantizer_, o, out);
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
    const TargetMeta* t = target(id);
    auto& pyr = pyramids_.try_emplace(id, t ? t->interval_ns : header_.frame_interval_ns).first->second;
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
        } else if (closed_ && level < first_stored_level(header_.version)) {
            build_unstored_levels();
        }
    }
    return pyr.level(level);
}

// A closed file of version 2 stores levels 2..4: level 1 is built, for every target at once,
// from one pass over the frame chunks (each decoded once), the first time a query needs it.
void FileReader::build_unstored_levels() const {
    if (unstored_built_) return;
    unstored_built_ = true;
    const int last = first_stored_level(header_.version) - 1;
    std::map<uint32_t, Pyramid> built;
    std::vector<zzp_frame> frames;
    for (const auto& c : chunks_) {
        if (c.type != RecordType::frames) continue;
        frames.clear();
        ChunkOrigin o;
        try {
            decode_frames(header_.version, read_payload(c), quantizer_, o, frames);
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
        const TargetMeta* t = target(id);
        auto& pyr = pyramids_.try_emplace(id, t ? t->interval_ns : header_.frame_interval_ns).first->second;
        for (int level = 1; level <= last; ++level) {
            pyr.set_level(level, p.level(level));
            pyramid_loaded_[{id, level}] = true;
        }
    }
}

Summary FileReader::aggregate(uint32_t id, int64_t t0, int64_t t1, int min_level) const {
    Summary acc;
    acc.start_ns = t0;
    if (t0 >= t1 || t1 <= t_first_ || t0 > t_last_) return acc;
    const TargetMeta* t = target(id);
    int64_t interval = t ? t->interval_ns : header_.frame_interval_ns;
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
