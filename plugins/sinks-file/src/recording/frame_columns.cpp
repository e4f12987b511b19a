#include "frame_columns.hpp"

#include <algorithm>
#include <array>

#include "bits.hpp"
#include "varint.hpp"

namespace zzp::rec {
namespace {

// Column order inside a section (docs/FORMAT.md).
enum Column : int {
    kDt, kInterval, kRevision, kFlags, kSent, kReceived, kLost, kErrors, kLate, kDuplicates, kReordered, kPending,
    kShape, kP50, kGap1, kGap2, kGap3, kGap4, kGap5, kGap6, kMean, kJitter, kColumnCount
};
enum Mode : uint8_t { kConstant = 0, kRice = 1, kSparse = 2, kDefault = 3 };
constexpr int64_t kHasRtt = 1, kHasMean = 2, kHasJitter = 4;
// Rice columns are spread over kStreams bit streams so a reader decodes several at once.
constexpr int kStreams = 3;
constexpr int stream_of(int column) { return column < kP50 ? 0 : (column - kP50) % kStreams; }

// The value a constant column takes without storing it (mode kDefault); `unit` is the section's.
int64_t column_default(int column, int64_t unit) {
    switch (column) {
    case kDt: return 1;
    case kInterval: return unit;
    case kFlags: return ZZP_FRAME_F_FINAL;
    case kShape: return kHasRtt | kHasMean | kHasJitter;
    default: return 0;
    }
}

// Wrapping arithmetic: corrupt input must not be undefined behaviour.
inline int64_t wadd(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }
inline int64_t wsub(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
inline int64_t wmul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }

// Predictions, all in quantizer codes with integer arithmetic only (bit-exact everywhere).
inline int64_t mean_prediction(const int64_t* c) {
    return wadd(wadd(wadd(c[0], c[1]), wadd(c[2], wmul(c[3], 2))), wadd(wadd(c[4], c[5]), wadd(c[6], 4))) >> 3;
}
inline int64_t jitter_prediction(const int64_t* c) { return wadd(c[3], wmul(wsub(c[6], c[0]), 3) >> 1); }
// The median's prediction: an exponential moving average in 1/16 code units, weight 1/8.
inline int64_t ema_prediction(int64_t ema16) { return wadd(ema16, 8) >> 4; }
inline int64_t ema_update(int64_t ema16, int64_t code) { return wadd(ema16, wsub(wmul(code, 16), ema16) >> 3); }

size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

// Choose the cheapest coding of one column: constant, Rice around the median, or sparse
// (a default value plus exceptions). Headers go to `head`, Rice bits to `bits`.
void write_column(const std::vector<int64_t>& v, int64_t default_value, std::string& head, BitWriter& bits) {
    if (v.empty() || std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v.front(); })) {
        if (v.empty() || v.front() == default_value) {
            head.push_back(static_cast<char>(kDefault));
            return;
        }
        head.push_back(static_cast<char>(kConstant));
        put_svarint(head, v.front());
        return;
    }
    std::vector<int64_t> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    int64_t median = sorted[sorted.size() / 2];
    int64_t mode = sorted.front();
    size_t best_run = 0;
    for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        if (j - i > best_run) {
            best_run = j - i;
            mode = sorted[i];
        }
        i = j;
    }
    // Rice: best k.
    std::array<uint64_t, kRiceMaxK + 1> cost{};
    for (int64_t x : v) {
        uint64_t u = zigzag(wsub(x, median));
        for (unsigned k = 0; k <= kRiceMaxK; ++k) cost[k] += rice_bits(u, k);
    }
    unsigned k = static_cast<unsigned>(std::min_element(cost.begin(), cost.end()) - cost.begin());
    uint64_t rice_total = cost[k] + 8 * (1 + varint_size(zigzag(median)));
    // Sparse.
    uint64_t sparse_bytes = 1 + varint_size(zigzag(mode)) + varint_size(v.size() - best_run);
    size_t last = 0;
    bool first = true;
    for (size_t i = 0; i < v.size(); ++i)
        if (v[i] != mode) {
            sparse_bytes += varint_size(first ? i : i - last - 1) + varint_size(zigzag(wsub(v[i], mode)));
            last = i;
            first = false;
        }
    if (8 * sparse_bytes <= rice_total) {
        head.push_back(static_cast<char>(kSparse));
        put_svarint(head, mode);
        put_varint(head, v.size() - best_run);
        first = true;
        for (size_t i = 0; i < v.size(); ++i)
            if (v[i] != mode) {
                put_varint(head, first ? i : i - last - 1);
                put_svarint(head, wsub(v[i], mode));
                last = i;
                first = false;
            }
        return;
    }
    head.push_back(static_cast<char>(kRice | (k << 2)));
    put_svarint(head, median);
    for (int64_t x : v) bits.rice(zigzag(wsub(x, median)), k);
}

uint64_t read_varint(const char*& pos, const char* end) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos == end) throw FormatError("a frame column header is cut short", 0);
        auto b = static_cast<uint8_t>(*pos++);
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    throw FormatError("a frame column header is malformed", 0);
}

struct ColumnHead {
    uint8_t mode = kConstant;
    unsigned k = 0;
    int64_t value = 0;          // constant, Rice centre or sparse default
    uint64_t exceptions = 0;    // sparse
    const char* sparse = nullptr;  // sparse: the exception list
    const char* sparse_end = nullptr;
};

// Materialise a column of `rows` values into dst (constant, default and sparse columns, and
// Rice columns read one at a time).
void read_column(const ColumnHead& h, size_t rows, BitReader& bits, int64_t* dst) {
    switch (h.mode) {
    case kConstant:
    case kDefault: std::fill(dst, dst + rows, h.value); break;
    case kRice: {
        const unsigned k = h.k;
        const int64_t c = h.value;
        // A local copy keeps the reader's state in registers (dst could alias it otherwise).
        BitReader r = bits;
        for (size_t i = 0; i < rows; ++i) dst[i] = wadd(c, unzigzag(r.rice(k)));
        bits = r;
        if (bits.overran()) throw FormatError("frame column data ends early", 0);
        break;
    }
    case kSparse: {
        std::fill(dst, dst + rows, h.value);
        const char* p = h.sparse;
        size_t row = 0;
        for (uint64_t e = 0; e < h.exceptions; ++e) {
            uint64_t gap = read_varint(p, h.sparse_end);
            row = e == 0 ? gap : row + gap + 1;
            if (gap >= rows || row >= rows) throw FormatError("a sparse frame column names a row past its end", 0);
            dst[row] = wadd(h.value, unzigzag(read_varint(p, h.sparse_end)));
        }
        break;
    }
    }
}

// N Rice columns of equal length from N different streams, decoded in one loop: the streams'
// dependency chains then overlap instead of running one after the other.
template <int N>
void read_rice_lanes(const ColumnHead* const* h, BitReader** bits, size_t rows, int64_t* const* dst) {
    BitReader r[N] = {};
    unsigned k[N];
    int64_t c[N];
    int64_t* d[N];
    for (int j = 0; j < N; ++j) {
        r[j] = *bits[j];
        k[j] = h[j]->k;
        c[j] = h[j]->value;
        d[j] = dst[j];
    }
    bool small = true;
    const uint32_t* t[N];
    for (int j = 0; j < N; ++j) {
        small = small && k[j] <= BitReader::kTableMaxK;
        t[j] = small ? BitReader::rice_table(k[j]) : nullptr;
    }
    if (small) {
        for (size_t i = 0; i < rows; ++i) {
#pragma GCC unroll 3
            for (int j = 0; j < N; ++j) d[j][i] = wadd(c[j], r[j].rice_signed(t[j], k[j]));
        }
    } else {
        for (size_t i = 0; i < rows; ++i) {
#pragma GCC unroll 3
            for (int j = 0; j < N; ++j) d[j][i] = wadd(c[j], unzigzag(r[j].rice(k[j])));
        }
    }
    for (int j = 0; j < N; ++j) {
        *bits[j] = r[j];
        if (r[j].overran()) throw FormatError("frame column data ends early", 0);
    }
}

// Read columns first..last (at most kStreams, consecutive, so each in its own stream).
void read_group(const std::array<ColumnHead, kColumnCount>& head, int first, int last, const size_t* rows,
                BitReader* streams, int64_t* const* a) {
    const ColumnHead* h[kStreams];
    BitReader* b[kStreams];
    int64_t* d[kStreams];
    int n = 0;
    for (int c = first; c <= last; ++c) {
        if (head[c].mode != kRice || rows[c] != rows[first]) {
            read_column(head[c], rows[c], streams[stream_of(c)], a[c]);
            continue;
        }
        h[n] = &head[c];
        b[n] = &streams[stream_of(c)];
        d[n] = a[c];
        ++n;
    }
    static_assert(kStreams == 3, "one case per lane count");
    switch (n) {
    case 3: read_rice_lanes<3>(h, b, rows[first], d); break;
    case 2: read_rice_lanes<2>(h, b, rows[first], d); break;
    case 1: read_rice_lanes<1>(h, b, rows[first], d); break;
    default: break;
    }
}


// The frame fields of the count columns (kInterval is separate: int64).
uint32_t zzp_frame::*count_field(int column) {
    switch (column) {
    case kRevision: return &zzp_frame::revision;
    case kFlags: return &zzp_frame::flags;
    case kSent: return &zzp_frame::sent;
    case kReceived: return &zzp_frame::received;
    case kLost: return &zzp_frame::lost;
    case kErrors: return &zzp_frame::errors;
    case kLate: return &zzp_frame::late;
    case kDuplicates: return &zzp_frame::duplicates;
    case kReordered: return &zzp_frame::reordered;
    default: return &zzp_frame::pending;
    }
}

}  // namespace

std::string encode_frame_columns_v2(std::span<const zzp_frame* const> frames, int64_t t0, int64_t unit,
                                    const Quantizer& q) {
    std::array<std::vector<int64_t>, kColumnCount> col;
    int64_t prev_t = t0, ema16 = 0, base = 0;
    bool first_rtt = true;
    for (size_t i = 0; i < frames.size(); ++i) {
        const zzp_frame& f = *frames[i];
        if (i > 0) col[kDt].push_back(wsub(f.start_wall_ns, prev_t) / unit);
        prev_t = f.start_wall_ns;
        col[kInterval].push_back(f.interval_ns);
        col[kRevision].push_back(f.revision);
        col[kFlags].push_back(f.flags);
        col[kSent].push_back(f.sent);
        // Final frames satisfy sent = received + lost + errors + pending: store the difference.
        col[kReceived].push_back(static_cast<int64_t>(f.received) -
                                 (static_cast<int64_t>(f.sent) - f.lost - f.errors - f.pending));
        col[kLost].push_back(f.lost);
        col[kErrors].push_back(f.errors);
        col[kLate].push_back(f.late);
        col[kDuplicates].push_back(f.duplicates);
        col[kReordered].push_back(f.reordered);
        col[kPending].push_back(f.pending);
        int64_t s = (f.rtt_ns[0] != -1 ? kHasRtt : 0) | (f.rtt_mean_ns != -1 ? kHasMean : 0) |
                    (f.rtt_jitter_ns != -1 ? kHasJitter : 0);
        col[kShape].push_back(s);
        int64_t c[ZZP_QUANTILE_COUNT];
        if (s & kHasRtt) {
            for (int k = 0; k < ZZP_QUANTILE_COUNT; ++k) c[k] = q.encode(f.rtt_ns[k]);
            if (first_rtt) {
                base = c[ZZP_Q_P50];
                col[kP50].push_back(0);
                ema16 = wmul(base, 16);
                first_rtt = false;
            } else {
                col[kP50].push_back(wsub(c[ZZP_Q_P50], ema_prediction(ema16)));
                ema16 = ema_update(ema16, c[ZZP_Q_P50]);
            }
            for (int k = 1; k < ZZP_QUANTILE_COUNT; ++k) col[kGap1 + k - 1].push_back(wsub(c[k], c[k - 1]));
        }
        if (s & kHasMean) col[kMean].push_back(wsub(q.encode(f.rtt_mean_ns), (s & kHasRtt) ? mean_prediction(c) : 0));
        if (s & kHasJitter)
            col[kJitter].push_back(wsub(q.encode(f.rtt_jitter_ns), (s & kHasRtt) ? jitter_prediction(c) : 0));
    }
    std::string head;
    std::array<std::string, kStreams> body;
    std::array<BitWriter, kStreams> bits = {BitWriter(body[0]), BitWriter(body[1]), BitWriter(body[2])};
    put_svarint(head, base);
    for (int c = 0; c < kColumnCount; ++c) write_column(col[c], column_default(c, unit), head, bits[stream_of(c)]);
    for (auto& b : bits) b.finish();
    for (int i = 0; i + 1 < kStreams; ++i) put_varint(head, body[i].size());
    for (const auto& b : body) head += b;
    return head;
}

void decode_frame_columns_v2(std::string_view columns, uint32_t target, uint64_t n, int64_t t0, int64_t unit,
                             const Quantizer& q, std::vector<zzp_frame>& out) {
    if (n == 0) return;
    if (n > kMaxSectionFrames) throw FormatError("a frame section claims more than 65536 frames", 0);
    // Working storage for this section: one allocation each, none per frame. Not thread_local:
    // a thread_local with a destructor pins the plugin library, so a hot swap could not unload it.
    std::string padded;
    std::vector<int64_t> s;
    const char* pos = columns.data();
    const char* end = pos + columns.size();
    const int64_t base = unzigzag(read_varint(pos, end));
    std::array<ColumnHead, kColumnCount> head;
    for (int c = 0; c < kColumnCount; ++c) {
        ColumnHead& h = head[c];
        if (pos == end) throw FormatError("a frame section ends before all its column headers", 0);
        auto b = static_cast<uint8_t>(*pos++);
        h.mode = b & 3;
        h.k = b >> 2;
        if ((h.mode != kRice && h.k != 0) || h.k > kRiceMaxK)
            throw FormatError("unknown frame column coding " + std::to_string(b), 0);
        h.value = h.mode == kDefault ? column_default(c, unit) : unzigzag(read_varint(pos, end));
        if (h.mode == kSparse) {
            h.exceptions = read_varint(pos, end);
            if (h.exceptions > n) throw FormatError("a sparse frame column has more exceptions than rows", 0);
            h.sparse = pos;
            for (uint64_t e = 0; e < 2 * h.exceptions; ++e) read_varint(pos, end);
            h.sparse_end = pos;
        }
    }
    std::array<BitReader, kStreams> streams;
    {
        uint64_t len[kStreams];
        uint64_t left = 0;
        for (int i = 0; i + 1 < kStreams; ++i) len[i] = read_varint(pos, end);
        left = static_cast<uint64_t>(end - pos);
        for (int i = 0; i + 1 < kStreams; ++i) {
            if (len[i] > left) throw FormatError("a frame column stream is longer than its section", 0);
            left -= len[i];
        }
        len[kStreams - 1] = left;
        // The streams, copied with zero padding so refills never check for the end.
        padded.assign(pos, end);
        padded.resize(padded.size() + 16, '\0');
        const char* p = padded.data();
        const char* limit = padded.data() + padded.size() - 8;
        for (int i = 0; i < kStreams; ++i) {
            streams[i] = BitReader(p, len[i], limit);
            p += len[i];
        }
    }

    s.resize(kColumnCount * n);
    int64_t* a[kColumnCount];
    for (int c = 0; c < kColumnCount; ++c) a[c] = s.data() + static_cast<size_t>(c) * n;
    // Columns that vary per row; the others are taken from a template frame.
    auto varies = [&](int c) { return head[c].mode == kRice || head[c].mode == kSparse; };
    const bool dt_varies = varies(kDt), shape_varies = varies(kShape);
    // Stream 0 holds the varying columns up to kShape in column order.
    if (dt_varies) read_column(head[kDt], n - 1, streams[0], a[kDt]);
    // Count columns that vary are read now, applied after the frames are built.
    bool counts_vary = false;
    for (int c = kInterval; c <= kPending; ++c)
        if (varies(c)) {
            read_column(head[c], n, streams[0], a[c]);
            counts_vary = true;
        }
    if (shape_varies) read_column(head[kShape], n, streams[0], a[kShape]);
    size_t rows[kColumnCount];
    std::fill(rows, rows + kColumnCount, n);
    rows[kDt] = n - 1;
    {
        size_t r_rtt = n, r_mean = n, r_jitter = n;
        const int64_t sh0 = head[kShape].value;
        if (shape_varies) {
            r_rtt = r_mean = r_jitter = 0;
            for (uint64_t i = 0; i < n; ++i) {
                int64_t sh = a[kShape][i];
                r_rtt += (sh & kHasRtt) != 0;
                r_mean += (sh & kHasMean) != 0;
                r_jitter += (sh & kHasJitter) != 0;
            }
        } else {
            r_rtt = (sh0 & kHasRtt) ? n : 0;
            r_mean = (sh0 & kHasMean) ? n : 0;
            r_jitter = (sh0 & kHasJitter) ? n : 0;
        }
        for (int c = kP50; c <= kGap6; ++c) rows[c] = r_rtt;
        rows[kMean] = r_mean;
        rows[kJitter] = r_jitter;
    }
    read_group(head, kP50, kGap2, rows, streams.data(), a);
    read_group(head, kGap3, kGap5, rows, streams.data(), a);
    read_group(head, kGap6, kJitter, rows, streams.data(), a);

    zzp_frame tpl{};
    tpl.interval_ns = head[kInterval].value;
    tpl.target_id = target;
    for (int c = kRevision; c <= kPending; ++c) tpl.*count_field(c) = static_cast<uint32_t>(head[c].value);
    tpl.received = static_cast<uint32_t>(head[kReceived].value) + tpl.sent - tpl.lost - tpl.errors - tpl.pending;

    const size_t first = out.size();
    out.reserve(first + n);
    const int64_t dt0 = head[kDt].value, sh0 = head[kShape].value;
    const int64_t *p50c = a[kP50], *g1 = a[kGap1], *g2 = a[kGap2], *g3 = a[kGap3], *g4 = a[kGap4], *g5 = a[kGap5],
                  *g6 = a[kGap6], *mc = a[kMean], *jc = a[kJitter];
    const int64_t* const table = q.table();
    const uint64_t table_size = q.table_size();
    auto decode = [&](int64_t code) {
        return static_cast<uint64_t>(code) < table_size ? table[code] : q.decode(code);
    };
    int64_t t = t0, ema16 = wmul(base, 16);
    size_t jr = 0, jm = 0, jj = 0;
    for (uint64_t i = 0; i < n; ++i) {
        zzp_frame& f = out.emplace_back(tpl);  // built in place: no copy of a half-written frame
        if (i) t = wadd(t, wmul(dt_varies ? a[kDt][i - 1] : dt0, unit));
        f.start_wall_ns = t;
        const int64_t sh = shape_varies ? a[kShape][i] : sh0;
        int64_t mean_pred = 0, jitter_pred = 0;
        if (sh & kHasRtt) {
            int64_t c[ZZP_QUANTILE_COUNT];
            int64_t p50 = base;
            if (jr != 0) {
                p50 = wadd(ema_prediction(ema16), p50c[jr]);
                ema16 = ema_update(ema16, p50);
            }
            c[3] = p50;
            c[2] = wsub(c[3], g3[jr]);
            c[1] = wsub(c[2], g2[jr]);
            c[0] = wsub(c[1], g1[jr]);
            c[4] = wadd(c[3], g4[jr]);
            c[5] = wadd(c[4], g5[jr]);
            c[6] = wadd(c[5], g6[jr]);
            ++jr;
#pragma GCC unroll 7
            for (int k = 0; k < ZZP_QUANTILE_COUNT; ++k) f.rtt_ns[k] = decode(c[k]);
            mean_pred = mean_prediction(c);
            jitter_pred = jitter_prediction(c);
        } else {
            for (int k = 0; k < ZZP_QUANTILE_COUNT; ++k) f.rtt_ns[k] = -1;
        }
        f.rtt_mean_ns = (sh & kHasMean) ? decode(wadd(mean_pred, mc[jm++])) : -1;
        f.rtt_jitter_ns = (sh & kHasJitter) ? decode(wadd(jitter_pred, jc[jj++])) : -1;
    }
    if (counts_vary) {
        zzp_frame* fr = out.data() + first;
        if (varies(kInterval))
            for (uint64_t i = 0; i < n; ++i) fr[i].interval_ns = a[kInterval][i];
        for (int c = kRevision; c <= kPending; ++c) {
            if (!varies(c)) continue;
            uint32_t zzp_frame::*field = count_field(c);
            for (uint64_t i = 0; i < n; ++i) fr[i].*field = static_cast<uint32_t>(a[c][i]);
        }
        if (varies(kSent) || varies(kReceived) || varies(kLost) || varies(kErrors) || varies(kPending))
            for (uint64_t i = 0; i < n; ++i)
                fr[i].received = static_cast<uint32_t>(varies(kReceived) ? a[kReceived][i] : head[kReceived].value) +
                                 fr[i].sent - fr[i].lost - fr[i].errors - fr[i].pending;
    }
}

}  // namespace zzp::rec
