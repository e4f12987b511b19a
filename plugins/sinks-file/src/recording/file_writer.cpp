#include "file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "file_reader.hpp"
#include "record_io.hpp"

namespace zzp::rec {
namespace {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
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
        w->index_.chunks.push_back(c);
        if (c.type == RecordType::frames) {
            for (const auto& f : reader.read_frames(c)) {
                const TargetMeta* t = reader.target(f.target_id);
                w->pyramids_.try_emplace(f.target_id, t ? t->interval_ns : f.interval_ns).first->second.add(f);
                ++w->index_.frames;
            }
        } else {
            w->index_.samples += reader.read_samples(c).size();
        }
    }
    return w;
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
        pyramids_.try_emplace(fr.target_id, interval).first->second.add(quantized_frame(fr, quantizer_));
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
