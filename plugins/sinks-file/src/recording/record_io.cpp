#include "record_io.hpp"

#include <zstd.h>

#include <cstring>

#include "crc32c.hpp"

namespace zzp::rec {
namespace {

void put_u32(char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void put_i64(char* p, int64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
}
uint32_t get_u32(const char* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
    return v;
}
int64_t get_i64(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
    return static_cast<int64_t>(v);
}

// The CRC covers the whole frame except the CRC field itself, then the payload.
uint32_t record_crc(const char* frame, const char* payload, size_t payload_size) {
    uint32_t c = crc32c(0, frame, 12);
    c = crc32c(c, frame + 16, 16);
    return crc32c(c, payload, payload_size);
}

}  // namespace

bool known_record_type(uint8_t t) {
    switch (static_cast<RecordType>(t)) {
    case RecordType::header:
    case RecordType::targets:
    case RecordType::frames:
    case RecordType::samples:
    case RecordType::pyramid:
    case RecordType::index:
    case RecordType::end: return true;
    }
    return false;
}

const char* record_type_name(RecordType t) {
    switch (t) {
    case RecordType::header: return "header";
    case RecordType::targets: return "targets";
    case RecordType::frames: return "frames";
    case RecordType::samples: return "samples";
    case RecordType::pyramid: return "pyramid";
    case RecordType::index: return "index";
    case RecordType::end: return "end";
    }
    return "unknown";
}

std::string make_record(RecordType type, int64_t t_first, int64_t t_last, std::string_view raw, int compress_level) {
    std::string payload;
    uint8_t flags = 0;
    if (compress_level > 0 && raw.size() > 64) {
        payload.resize(ZSTD_compressBound(raw.size()));
        size_t n = ZSTD_compress(payload.data(), payload.size(), raw.data(), raw.size(), compress_level);
        // Only when it pays: a payload that is already dense (Rice-coded frame columns) stays
        // raw, which spares every reader the decompression.
        if (!ZSTD_isError(n) && n < raw.size() - raw.size() / 16) {
            payload.resize(n);
            flags |= kRecordZstd;
        } else {
            payload.clear();
        }
    }
    if (!(flags & kRecordZstd)) payload.assign(raw.data(), raw.size());

    std::string out(kRecordFrameSize, '\0');
    out[0] = 'z';
    out[1] = 'r';
    out[2] = static_cast<char>(type);
    out[3] = static_cast<char>(flags);
    put_u32(&out[4], static_cast<uint32_t>(payload.size()));
    put_u32(&out[8], static_cast<uint32_t>(raw.size()));
    put_i64(&out[16], t_first);
    put_i64(&out[24], t_last);
    put_u32(&out[12], record_crc(out.data(), payload.data(), payload.size()));
    out += payload;
    return out;
}

bool parse_frame(const char* b, uint64_t offset, RecordFrame& out) {
    if (b[0] != 'z' || b[1] != 'r' || !known_record_type(static_cast<uint8_t>(b[2]))) return false;
    out.offset = offset;
    out.type = static_cast<RecordType>(b[2]);
    out.flags = static_cast<uint8_t>(b[3]);
    out.payload_size = get_u32(b + 4);
    out.raw_size = get_u32(b + 8);
    out.crc = get_u32(b + 12);
    out.t_first = get_i64(b + 16);
    out.t_last = get_i64(b + 24);
    if (out.flags & ~kRecordZstd) return false;
    if (out.payload_size > kMaxPayload || out.raw_size > kMaxPayload) return false;
    if (!(out.flags & kRecordZstd) && out.raw_size != out.payload_size) return false;
    return true;
}

namespace {

void check_crc(const RecordFrame& f, const char* payload) {
    char frame[kRecordFrameSize];
    frame[0] = 'z';
    frame[1] = 'r';
    frame[2] = static_cast<char>(f.type);
    frame[3] = static_cast<char>(f.flags);
    put_u32(frame + 4, f.payload_size);
    put_u32(frame + 8, f.raw_size);
    put_i64(frame + 16, f.t_first);
    put_i64(frame + 24, f.t_last);
    if (record_crc(frame, payload, f.payload_size) != f.crc)
        throw FormatError("checksum mismatch in the " + std::string(record_type_name(f.type)) + " record at byte " +
                              std::to_string(f.offset),
                          f.offset);
}

}  // namespace

void decode_payload_in_place(const RecordFrame& f, std::string& payload) {
    if ((f.flags & kRecordZstd) || payload.size() != f.payload_size) {
        payload = decode_payload(f, payload.data());
        return;
    }
    check_crc(f, payload.data());  // not compressed: the stored bytes are the payload
}

std::string_view decode_payload_view(const RecordFrame& f, const char* stored, std::string& scratch) {
    if (!(f.flags & kRecordZstd)) {
        check_crc(f, stored);
        return std::string_view(stored, f.payload_size);
    }
    scratch = decode_payload(f, stored);
    return scratch;
}

std::string decode_payload(const RecordFrame& f, const char* payload) {
    check_crc(f, payload);
    if (!(f.flags & kRecordZstd)) return std::string(payload, f.payload_size);
    std::string raw(f.raw_size, '\0');
    size_t n = ZSTD_decompress(raw.data(), raw.size(), payload, f.payload_size);
    if (ZSTD_isError(n) || n != f.raw_size)
        throw FormatError("the compressed payload of the record at byte " + std::to_string(f.offset) +
                              " does not decompress to its stated size",
                          f.offset);
    return raw;
}

}  // namespace zzp::rec
