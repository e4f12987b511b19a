// Writing one recording file, append-only: header, then one record per call, each written whole
// at a known offset. A failed write (disk full, I/O error) truncates back to the last complete
// record and throws IoError, leaving the writer usable for a retry. Closing appends the pyramid,
// the footer index and the end record.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chunk_codec.hpp"
#include "file_io.hpp"
#include "format.hpp"
#include "metadata.hpp"
#include "pyramid.hpp"

namespace zzp::rec {

class FileWriter {
public:
    // Create a new file; never replaces an existing one (EEXIST is an IoError).
    static std::unique_ptr<FileWriter> create(const std::string& path, const FileHeader& header, int compress_level);
    // Continue an existing file after its last complete record (hot swap, `recover`). A torn
    // tail is cut off first; the pyramid and index are rebuilt from what is there.
    static std::unique_ptr<FileWriter> reopen(const std::string& path, int compress_level);
    // Continue a file from a predecessor's continuation() (hot swap hand-over): no scan, no
    // sync, no footer read — the offset, index and pyramids come from the bytes. When the file's
    // size is not the offset the predecessor left (something else wrote to it), falls back to
    // reopen(). Throws FormatError for bytes that are not a continuation, IoError as reopen.
    static std::unique_ptr<FileWriter> adopt(const std::string& path, int compress_level, std::string_view continuation);
    ~FileWriter();

    const std::string& path() const { return path_; }
    const FileHeader& header() const { return header_; }
    uint64_t size() const { return offset_; }
    bool knows_target(uint32_t id) const { return known_targets_.count(id) != 0; }
    const std::vector<TargetMeta>& targets() const { return index_.targets; }

    // Write a targets record for those not yet in the file (or whose metadata changed).
    void add_targets(const std::vector<TargetMeta>& targets);
    void append_frames(const ChunkOrigin& origin, std::span<const zzp_frame> frames);
    void append_samples(const ChunkOrigin& origin, std::span<const zzp_sample> samples);
    // fdatasync: what was appended survives a power cut. Then, when enough level-2 pyramid
    // buckets completed since the last one, appends a checkpoint (see checkpoint()); one that
    // cannot be written is skipped (it only speeds up readers) and retried at the next sync.
    void sync();
    // Append a checkpoint record now if a target has 4 level-2 nodes of completed buckets that
    // changed since the previous one (about every 7 minutes at 100 ms frames); true when one
    // was written. It describes every record before it, so call it
    // after those are durable (sync() does): never let it cover data a power cut can still lose.
    // Throws IoError (the file is cut back to the last complete record).
    bool checkpoint();
    void close();  // pyramid + index + end record, fsync, close; the writer is then unusable
    bool is_open() const { return static_cast<bool>(fd_); }
    // Hot swap hand-over (docs/HOT_SWAP.md, "The recorder's hand-over"): the writer's position
    // and in-memory state (offset, header, chunk index, pyramids) as opaque bytes for adopt().
    // Works after release() too.
    std::string continuation() const;
    // Give the file up as it is — no footer, no sync — because a successor continues it; the
    // writer is then unusable (like after close()).
    void release() { fd_.reset(); }

private:
    FileWriter(std::string path, Fd fd, FileHeader header, int compress_level);
    uint64_t write_record(const std::string& record);

    std::string path_;
    Fd fd_;
    FileHeader header_;
    int compress_level_;
    Quantizer quantizer_;
    uint64_t offset_ = 0;
    FileIndex index_;
    std::map<uint32_t, TargetMeta> known_targets_;
    std::map<uint32_t, Pyramid> pyramids_;
    // For checkpoints: per target, the level-2 buckets changed since the last checkpoint, and
    // the latest frame start written (which says which buckets are complete).
    std::map<uint32_t, std::set<int64_t>> dirty_level2_;
    int64_t data_ns_ = INT64_MIN;
    void note_checkpoint_data(uint32_t target_id, const Pyramid& pyr, int64_t start_ns);
    std::set<int64_t>& dirty_nodes(uint32_t target_id, const Pyramid& pyr);
};

}  // namespace zzp::rec
