// Payloads of the header ('H'), targets ('T') and footer index ('X') records: MessagePack maps
// with string keys, so a reader in any language can inspect them (docs/FORMAT.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format.hpp"
#include "pyramid.hpp"
#include "record_io.hpp"

namespace zzp::rec {

struct PyramidEntry {
    uint32_t target_id = 0;
    int level = 0;
    uint64_t offset = 0;  // of the 'P' record
};

// The footer: everything a reader needs to open a closed file without scanning it.
struct FileIndex {
    std::vector<RecordFrame> chunks;  // 'F' and 'S' records (offset, type, time range, sizes)
    std::vector<PyramidEntry> pyramid;
    std::vector<TargetMeta> targets;
    uint64_t frames = 0;
    uint64_t samples = 0;
    // Every chunk entry carried its whole record frame (sizes, flags, CRC; written since the
    // checkpoint change): a reader then opens the file without touching the chunks' pages.
    bool chunk_frames = false;
};

// A checkpoint (docs/FORMAT.md, "Checkpoints"): level-2 pyramid nodes that a writer of a file
// not yet closed appends after a sync, so a reader needs to decode only the chunks after it.
inline constexpr int kCheckpointLevel = 2;
struct CheckpointTarget {
    uint32_t target_id = 0;
    int64_t width_ns = 0;  // the level-2 bucket width the writer used
    // Every frame of this target in the records before the checkpoint whose start is before
    // until_ns is in a node of this checkpoint or of an earlier one (the latest copy wins).
    int64_t until_ns = INT64_MIN;
    std::vector<Summary> nodes;  // level-2 nodes changed since the previous checkpoint
};
struct Checkpoint {
    int64_t data_ns = INT64_MIN;  // the latest frame start written before it
    std::vector<CheckpointTarget> targets;  // every target with frames before it
};

std::string encode_header(const FileHeader& h);
FileHeader decode_header(std::string_view payload);  // throws FormatError
std::string encode_targets(const std::vector<TargetMeta>& targets);
std::vector<TargetMeta> decode_targets(std::string_view payload);
std::string encode_index(const FileIndex& index);
FileIndex decode_index(std::string_view payload);
// A checkpoint travels in an index ('X') record with empty lists, which readers that predate
// checkpoints skip; it is never followed by an end record, so nobody takes it for a footer.
std::string encode_checkpoint(const Checkpoint& checkpoint);
// nullopt when the index record is a footer, not a checkpoint; FormatError when malformed.
std::optional<Checkpoint> decode_checkpoint(std::string_view payload);

}  // namespace zzp::rec
