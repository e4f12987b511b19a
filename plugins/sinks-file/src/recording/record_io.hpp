// Record framing: every piece of a recording is one record with a fixed 32-byte frame (type,
// flags, lengths, CRC-32C, time range) followed by its payload. The frame lets a reader hop from
// record to record and seek by time without decoding payloads, and lets it tell a complete
// record from a torn one (docs/FORMAT.md, "Records").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format.hpp"

namespace zzp::rec {

inline constexpr size_t kRecordFrameSize = 32;
// Upper bound for one payload: a reader refuses larger lengths as corruption.
inline constexpr uint32_t kMaxPayload = 256u << 20;

struct RecordFrame {
    uint64_t offset = 0;  // where the frame starts in the file
    RecordType type = RecordType::header;
    uint8_t flags = 0;
    uint32_t payload_size = 0;  // bytes stored after the frame
    uint32_t raw_size = 0;      // bytes after decompression
    uint32_t crc = 0;
    int64_t t_first = 0;  // time range of the data inside (ns, inclusive); 0/0 when timeless
    int64_t t_last = 0;
    uint64_t end() const { return offset + kRecordFrameSize + payload_size; }
};

// Build a framed record around `raw`. With compress_level > 0 the payload is zstd-compressed
// when that makes it smaller.
std::string make_record(RecordType type, int64_t t_first, int64_t t_last, std::string_view raw, int compress_level);

// Parse a frame from 32 bytes at `offset`; false when the bytes are not a plausible frame.
bool parse_frame(const char* bytes, uint64_t offset, RecordFrame& out);

// The raw (decompressed) payload of a record whose frame and payload bytes are given. Checks the
// CRC; throws FormatError naming the record's offset when it does not match.
std::string decode_payload(const RecordFrame& frame, const char* payload);
// The same, in place: `payload` holds the stored bytes and receives the raw payload (no copy
// when the record is not compressed).
void decode_payload_in_place(const RecordFrame& frame, std::string& payload);

// The same without copying: checks the CRC of the stored bytes and returns them when the record
// is not compressed (a view into `stored`, e.g. a memory map), else decompresses into `scratch`
// and returns a view of it.
std::string_view decode_payload_view(const RecordFrame& frame, const char* stored, std::string& scratch);

bool known_record_type(uint8_t type);
const char* record_type_name(RecordType type);

}  // namespace zzp::rec
