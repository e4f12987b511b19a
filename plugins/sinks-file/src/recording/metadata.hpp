// Payloads of the header ('H'), targets ('T') and footer index ('X') records: MessagePack maps
// with string keys, so a reader in any language can inspect them (docs/FORMAT.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "format.hpp"
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
};

std::string encode_header(const FileHeader& h);
FileHeader decode_header(std::string_view payload);  // throws FormatError
std::string encode_targets(const std::vector<TargetMeta>& targets);
std::vector<TargetMeta> decode_targets(std::string_view payload);
std::string encode_index(const FileIndex& index);
FileIndex decode_index(std::string_view payload);

}  // namespace zzp::rec
