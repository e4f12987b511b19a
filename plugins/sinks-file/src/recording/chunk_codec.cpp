#include "chunk_codec.hpp"

#include <algorithm>
#include <map>

#include "frame_columns.hpp"
#include "msgpack_util.hpp"
#include "record_io.hpp"
#include "varint.hpp"

namespace zzp::rec {
namespace {

// A column of integers: stored as "constant" (one value) when every entry is equal — most count
// columns are, and it makes them free to store and to decode — else as varints.
enum ColumnMode : uint8_t { kConstant = 0, kUnsigned = 1, kSigned = 2 };

class ColumnWriter {
public:
    explicit ColumnWriter(bool is_signed) : signed_(is_signed) {}
    void push(int64_t v) { values_.push_back(v); }
    void write(std::string& out) const {
        bool constant = true;
        for (int64_t v : values_)
            if (v != values_.front()) constant = false;
        if (values_.empty() || constant) {
            out.push_back(static_cast<char>(kConstant));
            put_svarint(out, values_.empty() ? 0 : values_.front());
            return;
        }
        // Differences that are never negative (sorted quantiles) save the sign bit.
        bool use_signed = signed_ && std::any_of(values_.begin(), values_.end(), [](int64_t v) { return v < 0; });
        std::string data;
        for (int64_t v : values_) use_signed ? put_svarint(data, v) : put_varint(data, static_cast<uint64_t>(v));
        out.push_back(static_cast<char>(use_signed ? kSigned : kUnsigned));
        put_varint(out, data.size());
        out += data;
    }

private:
    bool signed_;
    std::vector<int64_t> values_;
};

class ColumnReader {
public:
    // Reads the column starting at `cursor` and advances it past the column.
    ColumnReader(const char*& pos, const char* end) : data_(nullptr, 0) {
        if (pos == end) throw FormatError("a chunk section ends before all its columns", 0);
        mode_ = static_cast<uint8_t>(*pos++);
        if (mode_ == kConstant) {
            value_ = header_svarint(pos, end);
        } else if (mode_ == kUnsigned || mode_ == kSigned) {
            uint64_t size = header_varint(pos, end);
            if (size > static_cast<uint64_t>(end - pos)) throw FormatError("a chunk column is longer than its section", 0);
            data_ = VarintReader(pos, size);
            pos += size;
        } else {
            throw FormatError("unknown column mode " + std::to_string(mode_), 0);
        }
    }
    int64_t next() {
        if (mode_ == kConstant) return value_;
        return mode_ == kSigned ? data_.s() : static_cast<int64_t>(data_.u());
    }

private:
    static uint64_t header_varint(const char*& pos, const char* end) {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos == end) throw FormatError("a chunk column header is cut short", 0);
            auto b = static_cast<uint8_t>(*pos++);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        throw FormatError("a chunk column header is malformed", 0);
    }
    static int64_t header_svarint(const char*& pos, const char* end) { return unzigzag(header_varint(pos, end)); }

    uint8_t mode_ = kConstant;
    int64_t value_ = 0;
    VarintReader data_;
};

// Reads a section's columns in order.
class SectionReader {
public:
    explicit SectionReader(std::string_view bytes) : pos_(bytes.data()), end_(bytes.data() + bytes.size()) {}
    ColumnReader column() { return ColumnReader(pos_, end_); }

private:
    const char* pos_;
    const char* end_;
};

template <class Record>
std::map<uint32_t, std::vector<const Record*>> group_by_target(std::span<const Record> records) {
    std::map<uint32_t, std::vector<const Record*>> groups;
    for (const Record& r : records) groups[r.target_id].push_back(&r);
    return groups;
}

void pack_origin(msgpack::packer<msgpack::sbuffer>& pk, const ChunkOrigin& origin) {
    pk.pack(origin.writer);
    pk.pack(origin.first_batch_seq);
    pk.pack(origin.last_batch_seq);
}

const msgpack::object_array& unpack_origin(const msgpack::object& root, ChunkOrigin& origin, const char* what) {
    const auto& a = mp::array(root, what, 4);
    origin.writer = mp::string(a.ptr[0], "chunk writer");
    origin.first_batch_seq = mp::uinteger(a.ptr[1], "chunk first batch seq");
    origin.last_batch_seq = mp::uinteger(a.ptr[2], "chunk last batch seq");
    return mp::array(a.ptr[3], "chunk sections");
}

constexpr int kQuantiles = ZZP_QUANTILE_COUNT;
constexpr int64_t kHasRtt = 1, kHasMean = 2, kHasJitter = 4;  // bits of the shape column

// Format version 1: every column as LEB128 varints (docs/FORMAT.md, "Version 1 frame columns").
std::string frame_columns_v1(const std::vector<const zzp_frame*>& list, int64_t t0, int64_t unit, const Quantizer& q) {
    ColumnWriter dt(true), interval(false), revision(false), flags(false), shape(false);
    std::vector<ColumnWriter> counts(8, ColumnWriter(false));
    std::vector<ColumnWriter> quant(kQuantiles, ColumnWriter(true));
    ColumnWriter mean(true), jitter(true);
    int64_t prev_t = t0, prev_q0 = 0, prev_jitter = 0;
    for (const zzp_frame* f : list) {
        dt.push((f->start_wall_ns - prev_t) / unit);
        prev_t = f->start_wall_ns;
        interval.push(f->interval_ns);
        revision.push(f->revision);
        flags.push(f->flags);
        const uint32_t c[8] = {f->sent, f->received, f->lost, f->errors, f->late, f->duplicates, f->reordered, f->pending};
        for (int i = 0; i < 8; ++i) counts[i].push(c[i]);
        int64_t s = (f->rtt_ns[0] != -1 ? kHasRtt : 0) | (f->rtt_mean_ns != -1 ? kHasMean : 0) |
                    (f->rtt_jitter_ns != -1 ? kHasJitter : 0);
        shape.push(s);
        int64_t p50 = 0;
        if (s & kHasRtt) {
            int64_t prev = 0;
            for (int i = 0; i < kQuantiles; ++i) {
                int64_t code = q.encode(f->rtt_ns[i]);
                if (i == 0) {
                    quant[0].push(code - prev_q0);
                    prev_q0 = code;
                } else {
                    quant[i].push(code - prev);
                }
                prev = code;
                if (i == ZZP_Q_P50) p50 = code;
            }
        }
        if (s & kHasMean) mean.push(q.encode(f->rtt_mean_ns) - p50);
        if (s & kHasJitter) {
            int64_t code = q.encode(f->rtt_jitter_ns);
            jitter.push(code - prev_jitter);
            prev_jitter = code;
        }
    }
    std::string cols;
    for (const ColumnWriter* w : {&dt, &interval, &revision, &flags}) w->write(cols);
    for (const auto& w : counts) w.write(cols);
    shape.write(cols);
    for (const auto& w : quant) w.write(cols);
    mean.write(cols);
    jitter.write(cols);
    return cols;
}

}  // namespace

zzp_frame quantized_frame(const zzp_frame& f, const Quantizer& q) {
    zzp_frame out = f;
    if (f.rtt_ns[0] != -1)
        for (int i = 0; i < kQuantiles; ++i) out.rtt_ns[i] = q.round_trip(f.rtt_ns[i]);
    if (f.rtt_mean_ns != -1) out.rtt_mean_ns = q.round_trip(f.rtt_mean_ns);
    if (f.rtt_jitter_ns != -1) out.rtt_jitter_ns = q.round_trip(f.rtt_jitter_ns);
    out.reserved = 0;
    return out;
}

zzp_sample quantized_sample(const zzp_sample& s, const Quantizer& q) {
    zzp_sample out = s;
    if (s.rtt_ns != -1) out.rtt_ns = q.round_trip(s.rtt_ns);
    out.reserved = 0;
    return out;
}

std::string encode_frames(const ChunkOrigin& origin, std::span<const zzp_frame> frames, const Quantizer& q,
                          int64_t& t_first, int64_t& t_last) {
    return encode_frames(kFormatVersion, origin, frames, q, t_first, t_last);
}

std::string encode_frames(uint32_t version, const ChunkOrigin& origin, std::span<const zzp_frame> frames,
                          const Quantizer& q, int64_t& t_first, int64_t& t_last) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    auto groups = group_by_target(frames);
    // Version 2 caps a section's rows (so a reader's scratch space is bounded): longer runs of
    // one target become several sections, read back in order.
    std::vector<std::pair<uint32_t, std::vector<const zzp_frame*>>> slices;
    for (auto& [target, all] : groups) {
        size_t step = version >= 2 ? kMaxSectionFrames : all.size();
        for (size_t i = 0; i < all.size(); i += step)
            slices.emplace_back(target, std::vector<const zzp_frame*>(all.begin() + static_cast<ptrdiff_t>(i),
                                                                      all.begin() + static_cast<ptrdiff_t>(std::min(all.size(), i + step))));
    }
    pk.pack_array(4);
    pack_origin(pk, origin);
    pk.pack_array(static_cast<uint32_t>(slices.size()));
    t_first = INT64_MAX;
    t_last = INT64_MIN;
    for (const auto& [target, list] : slices) {
        int64_t t0 = list.front()->start_wall_ns;
        int64_t unit = list.front()->interval_ns > 0 ? list.front()->interval_ns : 1;
        for (const zzp_frame* f : list)
            if ((f->start_wall_ns - t0) % unit != 0) unit = 1;

        for (const zzp_frame* f : list) {
            t_first = std::min(t_first, f->start_wall_ns);
            t_last = std::max(t_last, f->start_wall_ns);
        }
        std::string cols = version >= 2 ? encode_frame_columns_v2(list, t0, unit, q) : frame_columns_v1(list, t0, unit, q);
        pk.pack_array(5);
        pk.pack(target);
        pk.pack(static_cast<uint32_t>(list.size()));
        pk.pack(t0);
        pk.pack(unit);
        pk.pack_bin(static_cast<uint32_t>(cols.size()));
        pk.pack_bin_body(cols.data(), static_cast<uint32_t>(cols.size()));
    }
    if (frames.empty()) t_first = t_last = 0;
    return std::string(buf.data(), buf.size());
}

void decode_frames(std::string_view payload, const Quantizer& q, ChunkOrigin& origin, std::vector<zzp_frame>& out) {
    decode_frames(kFormatVersion, payload, q, origin, out);
}

void decode_frames(uint32_t version, std::string_view payload, const Quantizer& q, ChunkOrigin& origin,
                   std::vector<zzp_frame>& out) {
    auto handle = mp::unpack(payload, "frame chunk", true);  // the columns are read in place
    const auto& sections = unpack_origin(handle.get(), origin, "frame chunk");
    {
        // One allocation for the whole chunk (a frame needs at least a bit: a bound for the count).
        uint64_t total = 0;
        for (uint32_t si = 0; si < sections.size; ++si) {
            const auto& o = sections.ptr[si];
            if (o.type == msgpack::type::ARRAY && o.via.array.size >= 2 &&
                o.via.array.ptr[1].type == msgpack::type::POSITIVE_INTEGER)
                total += o.via.array.ptr[1].via.u64;
        }
        if (total <= 8 * static_cast<uint64_t>(payload.size()) + 4096) out.reserve(out.size() + total);
    }
    for (uint32_t si = 0; si < sections.size; ++si) {
        const auto& sec = mp::array(sections.ptr[si], "frame section", 5);
        auto target = static_cast<uint32_t>(mp::uinteger(sec.ptr[0], "section target"));
        uint64_t n = mp::uinteger(sec.ptr[1], "section count");
        int64_t t = mp::integer(sec.ptr[2], "section start");
        int64_t unit = mp::integer(sec.ptr[3], "section time unit");
        std::string_view columns = mp::bin(sec.ptr[4], "section columns");
        if (n > kMaxPayload) throw FormatError("a frame section claims an impossible count", 0);
        if (version >= 2) {
            decode_frame_columns_v2(columns, target, n, t, unit, q, out);
            continue;
        }
        SectionReader r(columns);
        ColumnReader dt = r.column(), interval = r.column(), revision = r.column(), flags = r.column();
        std::vector<ColumnReader> counts;
        counts.reserve(8);
        for (int i = 0; i < 8; ++i) counts.push_back(r.column());
        ColumnReader shape = r.column();
        std::vector<ColumnReader> quant;
        quant.reserve(kQuantiles);
        for (int i = 0; i < kQuantiles; ++i) quant.push_back(r.column());
        ColumnReader mean = r.column(), jitter = r.column();

        size_t base = out.size();
        out.resize(base + n);
        int64_t q0 = 0, jit = 0;
        for (uint64_t i = 0; i < n; ++i) {
            zzp_frame& f = out[base + i];
            t += dt.next() * unit;
            f.start_wall_ns = t;
            f.interval_ns = interval.next();
            f.target_id = target;
            f.revision = static_cast<uint32_t>(revision.next());
            f.flags = static_cast<uint32_t>(flags.next());
            f.sent = static_cast<uint32_t>(counts[0].next());
            f.received = static_cast<uint32_t>(counts[1].next());
            f.lost = static_cast<uint32_t>(counts[2].next());
            f.errors = static_cast<uint32_t>(counts[3].next());
            f.late = static_cast<uint32_t>(counts[4].next());
            f.duplicates = static_cast<uint32_t>(counts[5].next());
            f.reordered = static_cast<uint32_t>(counts[6].next());
            f.pending = static_cast<uint32_t>(counts[7].next());
            f.reserved = 0;
            int64_t s = shape.next();
            int64_t p50 = 0;
            if (s & kHasRtt) {
                q0 += quant[0].next();
                int64_t code = q0;
                f.rtt_ns[0] = q.decode(code);
                for (int k = 1; k < kQuantiles; ++k) {
                    code += quant[k].next();
                    f.rtt_ns[k] = q.decode(code);
                    if (k == ZZP_Q_P50) p50 = code;
                }
            } else {
                for (int k = 0; k < kQuantiles; ++k) f.rtt_ns[k] = -1;
            }
            f.rtt_mean_ns = (s & kHasMean) ? q.decode(p50 + mean.next()) : -1;
            if (s & kHasJitter) {
                jit += jitter.next();
                f.rtt_jitter_ns = q.decode(jit);
            } else {
                f.rtt_jitter_ns = -1;
            }
        }
    }
}

std::string encode_samples(const ChunkOrigin& origin, std::span<const zzp_sample> samples, const Quantizer& q,
                           int64_t& t_first, int64_t& t_last) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    auto groups = group_by_target(samples);
    pk.pack_array(4);
    pack_origin(pk, origin);
    pk.pack_array(static_cast<uint32_t>(groups.size()));
    t_first = INT64_MAX;
    t_last = INT64_MIN;
    for (const auto& [target, list] : groups) {
        int64_t t0 = list.front()->sent_wall_ns;
        uint64_t seq0 = list.front()->seq;
        // Microsecond send times (the default resolution) are stored in µs: three fewer digits of noise.
        int64_t unit = 1000;
        for (const zzp_sample* s : list)
            if (s->sent_wall_ns % 1000 != 0) unit = 1;
        ColumnWriter dseq(true), dod(true), code(false), detail(false), rtt(true);
        uint64_t prev_seq = seq0 - 1;
        int64_t prev_u = t0 / unit, prev_d = 0, prev_rtt = 0;
        for (const zzp_sample* s : list) {
            t_first = std::min(t_first, s->sent_wall_ns);
            t_last = std::max(t_last, s->sent_wall_ns);
            dseq.push(static_cast<int64_t>(s->seq - prev_seq - 1));
            prev_seq = s->seq;
            int64_t u = s->sent_wall_ns / unit;
            int64_t d = u - prev_u;
            dod.push(d - prev_d);
            prev_u = u;
            prev_d = d;
            bool has_rtt = s->rtt_ns != -1;
            code.push(static_cast<int64_t>(s->status) | (has_rtt ? 8 : 0) | (static_cast<int64_t>(s->flags) << 4));
            detail.push(s->detail);
            if (has_rtt) {
                int64_t c = q.encode(s->rtt_ns);
                rtt.push(c - prev_rtt);
                prev_rtt = c;
            }
        }
        std::string cols;
        for (const ColumnWriter* w : {&dseq, &dod, &code, &detail, &rtt}) w->write(cols);
        pk.pack_array(6);
        pk.pack(target);
        pk.pack(static_cast<uint32_t>(list.size()));
        pk.pack(t0);
        pk.pack(unit);
        pk.pack(seq0);
        pk.pack_bin(static_cast<uint32_t>(cols.size()));
        pk.pack_bin_body(cols.data(), static_cast<uint32_t>(cols.size()));
    }
    if (samples.empty()) t_first = t_last = 0;
    return std::string(buf.data(), buf.size());
}

void decode_samples(std::string_view payload, const Quantizer& q, ChunkOrigin& origin, std::vector<zzp_sample>& out) {
    auto handle = mp::unpack(payload, "sample chunk");
    const auto& sections = unpack_origin(handle.get(), origin, "sample chunk");
    for (uint32_t si = 0; si < sections.size; ++si) {
        const auto& sec = mp::array(sections.ptr[si], "sample section", 6);
        auto target = static_cast<uint32_t>(mp::uinteger(sec.ptr[0], "section target"));
        uint64_t n = mp::uinteger(sec.ptr[1], "section count");
        int64_t t0 = mp::integer(sec.ptr[2], "section start");
        int64_t unit = mp::integer(sec.ptr[3], "section time unit");
        uint64_t seq = mp::uinteger(sec.ptr[4], "section first seq") - 1;
        if (n > kMaxPayload || unit <= 0) throw FormatError("a sample section has an impossible count or unit", 0);
        SectionReader r(mp::bin(sec.ptr[5], "section columns"));
        ColumnReader dseq = r.column(), dod = r.column(), code = r.column(), detail = r.column(), rtt = r.column();
        size_t base = out.size();
        out.resize(base + n);
        int64_t u = t0 / unit, d = 0, rtt_code = 0;
        for (uint64_t i = 0; i < n; ++i) {
            zzp_sample& s = out[base + i];
            seq += static_cast<uint64_t>(dseq.next()) + 1;
            s.seq = seq;
            d += dod.next();
            u += d;
            s.sent_wall_ns = u * unit;
            int64_t c = code.next();
            s.status = static_cast<uint16_t>(c & 7);
            s.flags = static_cast<uint16_t>(c >> 4);
            s.detail = static_cast<uint32_t>(detail.next());
            s.target_id = target;
            s.reserved = 0;
            if (c & 8) {
                rtt_code += rtt.next();
                s.rtt_ns = q.decode(rtt_code);
            } else {
                s.rtt_ns = -1;
            }
        }
    }
}

}  // namespace zzp::rec
