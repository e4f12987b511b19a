#include "file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "file_reader.hpp"
#include "msgpack_util.hpp"
#include "record_io.hpp"

namespace zzp::rec {
namespace {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// A checkpoint is written once a target has this many completed level-2 buckets not yet in one.
constexpr size_t kCheckpointBuckets = 4;

// Layout version of continuation(): [version, offset, header(bin), index(bin),
// [[target_id, interval_ns, level 1..4 as 'P' payloads(bin)]...]].
constexpr uint64_t kContinuationVersion = 1;

void pack_bin(msgpack::packer<msgpack::sbuffer>& pk, const std::string& bytes) {
    pk.pack_bin(static_cast<uint32_t>(bytes.size()));
    pk.pack_bin_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
}

}  // namespace

FileWriter::FileWriter(std::string path, Fd fd, FileHeader header, int compress_level)
    : path_(std::move(path)), fd_(std::move(fd)), header_(std::move(header)), compress_level_(compress_level),
      quantizer_(header_.precision) {}

FileWriter::~FileWriter() = default;

std::unique_ptr<FileWriter> FileWriter::create(const std::string& path, const FileHeader& header, int compress_level) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw IoError(errno, path, "cannot create the recording file");
    std::unique_ptr<FileWriter> w(new FileWriter(path, std::move(fd), header, compress_level));
    try {
        std::string start(kFileMagic, kFileMagicSize);
        start += make_record(RecordType::header, 0, 0, encode_header(header), 0);
        pwrite_all(w->fd_.get(), path, start.data(), start.size(), 0);
        w->offset_ = start.size();
        for (const auto& t : header.targets) w->known_targets_[t.id] = t;
        w->index_.targets = header.targets;
        w->sync();
        sync_directory(parent_dir(path));
    } catch (...) {
        // A file without a complete header is useless and would block the name: remove it.
        ::unlink(path.c_str());
        throw;
    }
    return w;
}

std::unique_ptr<FileWriter> FileWriter::reopen(const std::string& path, int compress_level) {
    ScanReport scan = scan_file(path, false);
    FileReader reader(path);
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw IoError(errno, path, "cannot open the recording file for appending");
    if (!scan.clean && ::ftruncate(fd.get(), static_cast<off_t>(scan.valid_end)) != 0)
        throw IoError(errno, path, "cannot cut the torn tail at byte " + std::to_string(scan.valid_end));
    std::unique_ptr<FileWriter> w(new FileWriter(path, std::move(fd), reader.header(), compress_level));
    w->offset_ = scan.valid_end;
    for (const auto& t : reader.targets()) w->known_targets_[t.id] = t;
    w->index_.targets = reader.targets();
    for (const auto& c : reader.chunks()) {
        // The whole frame: the footer this writer writes lists it (a file whose old footer did
        // not has only offset, type and times in chunks()).
        w->index_.chunks.push_back(reader.chunk_frame(c));
        if (c.type == RecordType::frames) {
            for (const auto& f : reader.read_frames(c)) {
                const TargetMeta* t = reader.target(f.target_id);
                auto& pyr = w->pyramids_.try_emplace(f.target_id, t ? t->interval_ns : f.interval_ns).first->second;
                pyr.add(f);
                // This writer does not know what the previous one checkpointed: its first
                // checkpoint repeats every completed node.
                w->note_checkpoint_data(f.target_id, pyr, f.start_wall_ns);
                ++w->index_.frames;
            }
        } else {
            w->index_.samples += reader.read_samples(c).size();
        }
    }
    return w;
}

std::unique_ptr<FileWriter> FileWriter::adopt(const std::string& path, int compress_level, std::string_view continuation) {
    auto handle = mp::unpack(continuation, "recorder hand-over");
    const auto& a = mp::array(handle.get(), "recorder hand-over", 5);
    if (mp::uinteger(a.ptr[0], "hand-over version") != kContinuationVersion)
        throw FormatError("recorder hand-over version " + std::to_string(a.ptr[0].via.u64) + " is unknown", 0);
    const uint64_t offset = mp::uinteger(a.ptr[1], "hand-over offset");
    FileHeader header = decode_header(mp::bin(a.ptr[2], "hand-over header"));
    FileIndex index = decode_index(mp::bin(a.ptr[3], "hand-over index"));
    std::map<uint32_t, Pyramid> pyramids;
    const auto& pyrs = mp::array(a.ptr[4], "hand-over pyramids");
    for (uint32_t i = 0; i < pyrs.size; ++i) {
        const auto& p = mp::array(pyrs.ptr[i], "hand-over pyramid", 2 + kPyramidLevels);
        const auto id = static_cast<uint32_t>(mp::uinteger(p.ptr[0], "hand-over pyramid target"));
        Pyramid& pyr = pyramids.try_emplace(id, mp::integer(p.ptr[1], "hand-over pyramid interval")).first->second;
        for (int l = 1; l <= kPyramidLevels; ++l) {
            uint32_t tid = 0;
            int level = 0;
            int64_t width = 0;
            std::vector<Summary> nodes;
            decode_pyramid_level(mp::bin(p.ptr[1 + l], "hand-over pyramid level"), tid, level, width, nodes);
            if (tid != id || level != l) throw FormatError("recorder hand-over: pyramid levels out of order", 0);
            pyr.set_level(level, std::move(nodes));
        }
    }
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw IoError(errno, path, "cannot open the recording file for appending");
    // Only the predecessor wrote since it handed over, and it stopped: the size is its offset.
    // Anything else means the file changed under us — scan it instead of trusting the bytes.
    if (file_size(fd.get(), path) != offset) return reopen(path, compress_level);
    std::unique_ptr<FileWriter> w(new FileWriter(path, std::move(fd), std::move(header), compress_level));
    w->offset_ = offset;
    for (const auto& t : index.targets) w->known_targets_[t.id] = t;
    w->index_ = std::move(index);
    w->pyramids_ = std::move(pyramids);
    return w;
}

std::string FileWriter::continuation() const {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_array(5);
    pk.pack(kContinuationVersion);
    pk.pack(offset_);
    pack_bin(pk, encode_header(header_));
    pack_bin(pk, encode_index(index_));
    pk.pack_array(static_cast<uint32_t>(pyramids_.size()));
    for (const auto& [id, pyr] : pyramids_) {
        pk.pack_array(2 + kPyramidLevels);
        pk.pack(id);
        pk.pack(pyr.interval_ns());
        // Every level, also those a closed file leaves out: the successor keeps adding to them.
        for (int level = 1; level <= kPyramidLevels; ++level)
            pack_bin(pk, encode_pyramid_level(id, level, level_width(pyr.interval_ns(), level), pyr.level(level)));
    }
    return std::string(buf.data(), buf.size());
}

uint64_t FileWriter::write_record(const std::string& record) {
    if (!fd_) throw IoError(EBADF, path_, "the recording file is already closed");
    uint64_t at = offset_;
    try {
        pwrite_all(fd_.get(), path_, record.data(), record.size(), at);
    } catch (const IoError&) {
        // Leave no partial record behind: the next attempt starts at the same offset.
        if (::ftruncate(fd_.get(), static_cast<off_t>(at)) != 0) {
            // The next write overwrites the partial bytes anyway (pwrite at the same offset).
        }
        throw;
    }
    offset_ = at + record.size();
    return at;
}

void FileWriter::add_targets(const std::vector<TargetMeta>& targets) {
    std::vector<TargetMeta> fresh;
    for (const auto& t : targets) {
        auto it = known_targets_.find(t.id);
        if (it == known_targets_.end() || !(it->second == t)) fresh.push_back(t);
    }
    if (fresh.empty()) return;
    write_record(make_record(RecordType::targets, 0, 0, encode_targets(fresh), 0));
    for (const auto& t : fresh) {
        known_targets_[t.id] = t;
        bool replaced = false;
        for (auto& m : index_.targets)
            if (m.id == t.id) {
                m = t;
                replaced = true;
            }
        if (!replaced) index_.targets.push_back(t);
    }
}

void FileWriter::append_frames(const ChunkOrigin& origin, std::span<const zzp_frame> frames) {
    if (frames.empty()) return;
    int64_t t0, t1;
    std::string raw = encode_frames(header_.version, origin, frames, quantizer_, t0, t1);
    std::string rec = make_record(RecordType::frames, t0, t1, raw, compress_level_);
    uint64_t at = write_record(rec);
    RecordFrame f;
    parse_frame(rec.data(), at, f);
    index_.chunks.push_back(f);
    index_.frames += frames.size();
    for (const auto& fr : frames) {
        auto it = known_targets_.find(fr.target_id);
        int64_t interval = it != known_targets_.end() ? it->second.interval_ns : fr.interval_ns;
        auto& pyr = pyramids_.try_emplace(fr.target_id, interval).first->second;
        pyr.add(quantized_frame(fr, quantizer_));
        note_checkpoint_data(fr.target_id, pyr, fr.start_wall_ns);
    }
}

void FileWriter::append_samples(const ChunkOrigin& origin, std::span<const zzp_sample> samples) {
    if (samples.empty()) return;
    int64_t t0, t1;
    std::string raw = encode_samples(origin, samples, quantizer_, t0, t1);
    std::string rec = make_record(RecordType::samples, t0, t1, raw, compress_level_);
    uint64_t at = write_record(rec);
    RecordFrame f;
    parse_frame(rec.data(), at, f);
    index_.chunks.push_back(f);
    index_.samples += samples.size();
}

void FileWriter::sync() {
    if (fd_ && ::fdatasync(fd_.get()) != 0) throw IoError(errno, path_, "cannot sync the recording file");
    try {
        checkpoint();
    } catch (const IoError&) {
        // Disk full and the like: the data is durable, the checkpoint only saves readers work.
        // write_record() cut the partial record; the next sync tries again with the same nodes.
    }
}

std::set<int64_t>& FileWriter::dirty_nodes(uint32_t target_id, const Pyramid& pyr) {
    auto [it, fresh] = dirty_level2_.try_emplace(target_id);
    if (fresh) {
        // The first time this writer sees the target: its nodes may have come from elsewhere
        // (reopen(), adopt() of a hot swap) and the file's checkpoints may lack some of them,
        // so all count as changed. For a new file that is just the node of the first frame.
        for (const auto& n : pyr.level(kCheckpointLevel)) {
            it->second.insert(it->second.end(), n.start_ns);
            // A lower bound of the latest frame start: it only makes the first checkpoint hold back.
            data_ns_ = std::max(data_ns_, n.start_ns);
        }
    }
    return it->second;
}

void FileWriter::note_checkpoint_data(uint32_t target_id, const Pyramid& pyr, int64_t start_ns) {
    const int64_t w = level_width(pyr.interval_ns(), kCheckpointLevel);
    auto& dirty = dirty_nodes(target_id, pyr);
    int64_t bucket = floor_div(start_ns, w) * w;
    // Frames come in time order almost always: the hint makes this constant time.
    if (dirty.empty() || *dirty.rbegin() != bucket) dirty.insert(dirty.end(), bucket);
    if (start_ns > data_ns_) data_ns_ = start_ns;
}

bool FileWriter::checkpoint() {
    if (!fd_) return false;
    for (const auto& [id, pyr] : pyramids_) dirty_nodes(id, pyr);
    if (data_ns_ == INT64_MIN) return false;
    Checkpoint cp;
    cp.data_ns = data_ns_;
    size_t emitted = 0;
    for (const auto& [id, pyr] : pyramids_) {
        CheckpointTarget t;
        t.target_id = id;
        t.width_ns = level_width(pyr.interval_ns(), kCheckpointLevel);
        // A bucket is complete once a frame of a later bucket was written (of any target: they
        // share the clock). Late frames for it are still possible; they make it dirty again.
        t.until_ns = floor_div(data_ns_, t.width_ns) * t.width_ns;
        const auto& nodes = pyr.level(kCheckpointLevel);
        for (int64_t b : dirty_level2_[id]) {
            if (b >= t.until_ns) break;
            auto it = std::lower_bound(nodes.begin(), nodes.end(), b,
                                       [](const Summary& s, int64_t v) { return s.start_ns < v; });
            if (it != nodes.end() && it->start_ns == b) t.nodes.push_back(*it);
        }
        emitted = std::max(emitted, t.nodes.size());
        cp.targets.push_back(std::move(t));
    }
    // Not at every sync: a record per completed bucket (102 s at 100 ms frames) costs more in
    // framing than its nodes; every kCheckpointBuckets buckets a reader decodes at most that
    // many buckets of chunks (~7 min) and the nodes compress together.
    if (emitted < kCheckpointBuckets) return false;
    write_record(make_record(RecordType::index, 0, 0, encode_checkpoint(cp), compress_level_));
    // Only once it is written: a failed write leaves them dirty for the next attempt.
    for (const auto& t : cp.targets) {
        auto dirty = dirty_level2_.find(t.target_id);
        if (dirty != dirty_level2_.end()) dirty->second.erase(dirty->second.begin(), dirty->second.lower_bound(t.until_ns));
    }
    return true;
}

void FileWriter::close() {
    if (!fd_) return;
    uint64_t start = offset_;
    try {
        FileIndex index = index_;
        for (const auto& [id, pyr] : pyramids_)
            for (int level = first_stored_level(header_.version); level <= kPyramidLevels; ++level) {
                const auto& nodes = pyr.level(level);
                if (nodes.empty()) continue;
                std::string raw = encode_pyramid_level(id, level, level_width(pyr.interval_ns(), level), nodes);
                uint64_t at = write_record(make_record(RecordType::pyramid, nodes.front().start_ns,
                                                       nodes.back().start_ns, raw, compress_level_));
                index.pyramid.push_back({id, level, at});
            }
        uint64_t index_at = write_record(make_record(RecordType::index, 0, 0, encode_index(index), compress_level_));
        std::string end(8, '\0');
        for (int i = 0; i < 8; ++i) end[static_cast<size_t>(i)] = static_cast<char>(index_at >> (8 * i));
        write_record(make_record(RecordType::end, 0, 0, end, 0));
        if (::fsync(fd_.get()) != 0) throw IoError(errno, path_, "cannot sync the recording file");
    } catch (const IoError&) {
        // No room for the footer: the data records stay valid; readers scan instead. Cut any
        // partial footer so the file ends on a complete record.
        if (::ftruncate(fd_.get(), static_cast<off_t>(start)) == 0) offset_ = start;
        ::fdatasync(fd_.get());
        fd_.reset();
        throw;
    }
    fd_.reset();
}

}  // namespace zzp::rec
