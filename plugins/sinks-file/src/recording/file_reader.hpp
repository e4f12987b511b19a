// Reading one recording file: open by footer when the file was closed; else from its last
// checkpoint plus the records after it, or (no checkpoint) by scanning its records — every
// checksum checked where it scans, stopping at a torn tail; decode chunks; query the pyramid.
// The file is memory-mapped (read-only) and chunks decode from the map without a copy.
// Not thread-safe: one reader per thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chunk_codec.hpp"
#include "file_io.hpp"
#include "format.hpp"
#include "metadata.hpp"
#include "pyramid.hpp"
#include "record_io.hpp"

namespace zzp::rec {

// What a full pass over a file found.
struct ScanReport {
    uint64_t file_size = 0;
    uint64_t valid_end = 0;  // end of the last complete, checksum-valid record
    bool clean = false;      // every byte belongs to a valid record
    uint64_t bad_offset = 0; // first byte that is not part of a valid record (when !clean)
    std::string problem;     // what is wrong there
    std::vector<RecordFrame> records;
};

// Read every record from the start, checking frames and checksums (and, with decode_payloads,
// that each payload decodes). Throws only when the file cannot be read or its start is not a
// recording; damage later in the file is reported in the result.
ScanReport scan_file(const std::string& path, bool decode_payloads);

// How a reader opened its file (for tools, tests and benchmarks).
struct OpenStats {
    enum class Mode { footer, checkpoint, scan } mode = Mode::scan;
    uint64_t checkpoint_offset = 0;  // the last checkpoint used (mode checkpoint)
    size_t checkpoints = 0;          // checkpoint records read
    size_t chunks_decoded = 0;       // frame chunks decoded while opening (0 for a closed file)
    size_t records_scanned = 0;      // records whose checksum was verified while opening
    // Bytes of the file read while opening (record frames and payloads, mapped or not): for a
    // closed file its header, end record and index — what opening a month costs per file.
    uint64_t bytes_read = 0;
    // Opened from a footer written before chunk frames were listed (4-item chunk entries): each
    // chunk's frame is read when the chunk is (see chunk_frame()).
    bool lazy_chunk_frames = false;
};

class FileReader {
public:
    // Throws FormatError (not a recording, damaged header) or IoError.
    explicit FileReader(const std::string& path);

    const std::string& path() const { return path_; }
    const FileHeader& header() const { return header_; }
    const std::vector<TargetMeta>& targets() const { return targets_; }
    const TargetMeta* target(uint32_t id) const;
    bool closed() const { return closed_; }        // opened from a valid footer
    uint64_t valid_end() const { return valid_end_; }  // bytes of readable records
    uint64_t file_size() const { return file_size_; }
    bool torn() const { return valid_end_ < file_size_; }  // unreadable bytes after valid_end
    // 'F' and 'S' in file order. Offset, type and time range are always there; sizes, flags and
    // checksum only when the footer listed them (files written since December 2026) or the file
    // was scanned — else they are 0 until chunk_frame() reads them. read_frames() and
    // read_samples() take either.
    const std::vector<RecordFrame>& chunks() const { return chunks_; }
    // The whole record frame of a chunk of chunks(): read from the file (32 bytes, on the page
    // that decoding the chunk reads anyway) when the footer did not list it, so that opening a
    // closed file never touches its chunks. Throws FormatError when the footer's entry does not
    // match the record at its offset.
    RecordFrame chunk_frame(const RecordFrame& chunk) const;
    int64_t t_first() const { return t_first_; }
    int64_t t_last() const { return t_last_; }
    const OpenStats& open_stats() const { return open_stats_; }

    std::vector<zzp_frame> read_frames(const RecordFrame& chunk, ChunkOrigin* origin = nullptr) const;
    std::vector<zzp_sample> read_samples(const RecordFrame& chunk, ChunkOrigin* origin = nullptr) const;
    std::vector<zzp_frame> all_frames() const;
    std::vector<zzp_sample> all_samples() const;

    // Summary of target `id`'s frames with start in [t0, t1); see aggregate() in pyramid.hpp.
    Summary aggregate(uint32_t id, int64_t t0, int64_t t1, int min_level) const;
    // Pyramid nodes of a level (1..4) for a target (loaded on first use).
    const std::vector<Summary>& level_nodes(uint32_t id, int level) const;
    // Free a level that the file stores as a 'P' record, for a caller that copied what it needs
    // (the viewer keeps compact nodes: a month of level 2 is 36 MB as Summary). A later
    // level_nodes() reads it again; references it returned see an empty level meanwhile.
    // Levels built in memory (scanned or checkpointed files, level 1 of a closed version 2 file)
    // cannot be read back and stay. Returns whether the level was freed.
    bool release_level(uint32_t id, int level) const;
    // Give back the resident pages of the file's map (MappedFile::drop_resident); reads go on
    // working. For a viewer holding a month of files open.
    void drop_mapped_pages() const { map_.drop_resident(); }

private:
    std::string read_payload(const RecordFrame& frame) const;
    // The raw payload without a copy when the record is mapped and not compressed; `a` and `b`
    // are scratch space that must outlive the view.
    std::string_view payload_view(const RecordFrame& frame, std::string& a, std::string& b) const;
    RecordFrame read_frame_at(uint64_t offset) const;
    bool open_from_footer();
    bool open_from_checkpoint();
    void open_by_scanning();
    // Verify and decode the records from `offset` on, stopping at the first bad one (which sets
    // valid_end_); frames go to pyramid levels first..last.
    void scan_from(uint64_t offset, int first_level, int last_level);
    Pyramid& pyramid_for(uint32_t id, int64_t fallback_interval_ns) const;
    void prefetch(const RecordFrame& chunk) const;  // read-ahead for sequential chunk reads
    void reset_contents();
    void note_targets(const std::vector<TargetMeta>& targets);
    void build_unstored_levels() const;

    std::string path_;
    Fd fd_;
    MappedFile map_;
    // Bytes below this are complete records and read through the map; the tail of a file that
    // is still being written is read with pread, since a writer may cut it (a page past the end
    // of a file faults).
    uint64_t mapped_end_ = 0;
    mutable uint64_t prefetched_from_ = 0, prefetched_to_ = 0;
    OpenStats open_stats_;
    mutable uint64_t bytes_read_ = 0;  // all reads of the file; open_stats_.bytes_read is the opening's
    uint64_t file_size_ = 0;
    uint64_t valid_end_ = 0;
    FileHeader header_;
    Quantizer quantizer_{0.01};
    std::vector<TargetMeta> targets_;
    bool closed_ = false;
    std::vector<RecordFrame> chunks_;
    // chunks_ came from a footer without chunk frames: chunk_frame() reads each from the file.
    bool lazy_chunk_frames_ = false;
    int64_t t_first_ = INT64_MAX, t_last_ = INT64_MIN;
    // Pyramid: built when scanning, else loaded per (target, level) from 'P' records on demand.
    mutable std::map<uint32_t, Pyramid> pyramids_;
    mutable std::map<std::pair<uint32_t, int>, uint64_t> pyramid_offsets_;
    mutable std::map<std::pair<uint32_t, int>, bool> pyramid_loaded_;
    mutable bool unstored_built_ = false;  // levels below lazy_below_, built from frames
    int lazy_below_ = 1;  // levels below this are built from the frames on first use
    // The last decoded frame chunk: level-0 queries at neighbouring edges hit the same chunk.
    mutable uint64_t cached_chunk_offset_ = UINT64_MAX;
    mutable std::vector<zzp_frame> cached_frames_;
};

}  // namespace zzp::rec
