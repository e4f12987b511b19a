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
    void sync();   // fdatasync: what was appended survives a power cut
    void close();  // pyramid + index + end record, fsync, close; the writer is then unusable
    bool is_open() const { return static_cast<bool>(fd_); }

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
};

}  // namespace zzp::rec
