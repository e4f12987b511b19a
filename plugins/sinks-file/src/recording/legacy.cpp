#include "legacy.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

#include "msgpack_util.hpp"
#include "quantizer.hpp"

namespace zzp::rec {
namespace {

// Loose MessagePack values one after another; a value cut short at the end is reported, not thrown.
class LooseReader {
public:
    explicit LooseReader(const std::string& bytes) : bytes_(bytes) {}
    bool at_end() const { return off_ >= bytes_.size(); }
    size_t offset() const { return off_; }
    // Next value, or false when the data ends inside it.
    bool next(msgpack::object_handle& out) {
        size_t off = off_;
        try {
            out = msgpack::unpack(bytes_.data(), bytes_.size(), off);
        } catch (const msgpack::insufficient_bytes&) {
            return false;
        } catch (const std::exception& e) {
            throw FormatError("malformed MessagePack at byte " + std::to_string(off_) + " (" + e.what() + ")", off_);
        }
        off_ = off;
        return true;
    }

private:
    const std::string& bytes_;
    size_t off_ = 0;
};

bool is_int(const msgpack::object& o) {
    return o.type == msgpack::type::POSITIVE_INTEGER || o.type == msgpack::type::NEGATIVE_INTEGER;
}
int64_t as_int(const msgpack::object& o, size_t at, const char* what) {
    if (!is_int(o)) throw FormatError(std::string(what) + " at byte " + std::to_string(at) + " is not an integer", at);
    return o.type == msgpack::type::POSITIVE_INTEGER ? static_cast<int64_t>(o.via.u64) : o.via.i64;
}

// Percentile rule of the original (and of zzp_frame): linear interpolation, rounded.
int64_t percentile(const std::vector<int64_t>& sorted, double q) {
    double pos = q * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<size_t>(std::floor(pos));
    auto hi = static_cast<size_t>(std::ceil(pos));
    if (lo == hi) return sorted[lo];
    double fr = pos - static_cast<double>(lo);
    return std::llround(static_cast<double>(sorted[lo]) * (1 - fr) + static_cast<double>(sorted[hi]) * fr);
}

zzp_frame empty_frame(int64_t t) {
    zzp_frame f{};
    f.start_wall_ns = t;
    f.target_id = 1;
    f.flags = ZZP_FRAME_F_FINAL;
    for (auto& v : f.rtt_ns) v = -1;
    f.rtt_mean_ns = -1;
    f.rtt_jitter_ns = -1;
    return f;
}

// Frames get the median spacing as their interval (the original used 20 ms by default).
void finish(LegacyImport& imp) {
    std::stable_sort(imp.frames.begin(), imp.frames.end(),
                     [](const zzp_frame& a, const zzp_frame& b) { return a.start_wall_ns < b.start_wall_ns; });
    std::vector<int64_t> gaps;
    for (size_t i = 1; i < imp.frames.size(); ++i) {
        int64_t g = imp.frames[i].start_wall_ns - imp.frames[i - 1].start_wall_ns;
        if (g > 0) gaps.push_back(g);
    }
    int64_t interval = 20'000'000;
    if (!gaps.empty()) {
        std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
        interval = gaps[gaps.size() / 2];
    }
    imp.interval_ns = interval;
    for (auto& f : imp.frames) f.interval_ns = interval;
}

}  // namespace

std::string host_from_legacy_name(const std::string& path) {
    std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    static const std::regex re(R"(^pingd-log-(.+)-\d{8}T\d{2}\.log(\..*)?$)");
    std::smatch m;
    if (std::regex_match(base, m, re)) return m[1];
    return {};
}

std::string rfc3339_micros(int64_t unix_ns) {
    int64_t secs = unix_ns / 1'000'000'000 - (unix_ns % 1'000'000'000 < 0);
    int64_t micros = (unix_ns - secs * 1'000'000'000) / 1000;
    time_t t = static_cast<time_t>(secs);
    tm utc{};
    gmtime_r(&t, &utc);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(micros));
    return buf;
}

bool parse_rfc3339(const std::string& text, int64_t& unix_ns) {
    static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return false;
    tm t{};
    t.tm_year = std::stoi(m[1]) - 1900;
    t.tm_mon = std::stoi(m[2]) - 1;
    t.tm_mday = std::stoi(m[3]);
    t.tm_hour = std::stoi(m[4]);
    t.tm_min = std::stoi(m[5]);
    t.tm_sec = std::stoi(m[6]);
    int64_t secs = static_cast<int64_t>(timegm(&t));
    int64_t frac = 0;
    if (m[8].matched) {
        std::string digits = m[8].str();
        digits.resize(9, '0');
        frac = std::stoll(digits);
    }
    if (m[10].matched) {
        int64_t off = (std::stoll(m[11]) * 60 + std::stoll(m[12])) * 60;
        secs -= m[10] == "+" ? off : -off;
    }
    unix_ns = secs * 1'000'000'000 + frac;
    return true;
}

LegacyImport read_framedata(const std::string& bytes, const std::string& path) {
    LegacyImport imp;
    imp.kind = "FrameData";
    imp.host = host_from_legacy_name(path);
    LooseReader r(bytes);
    bool have_key = false;
    int64_t key_ns = 0;
    int64_t prev_lost_count = 0;
    while (!r.at_end()) {
        size_t frame_at = r.offset();
        msgpack::object_handle h;
        if (!r.next(h)) {
            imp.truncated_tail = true;
            break;
        }
        int64_t t;
        if (h.get().type == msgpack::type::STR) {
            std::string text = mp::string(h.get(), "key frame time");
            if (!parse_rfc3339(text, key_ns))
                throw FormatError("FrameData key frame at byte " + std::to_string(frame_at) + " has the time '" + text +
                                      "', which is not RFC 3339",
                                  frame_at);
            have_key = true;
            if (!r.next(h)) {
                imp.truncated_tail = true;
                break;
            }
            t = key_ns + as_int(h.get(), frame_at, "key frame offset") * 1000;
        } else {
            if (!have_key)
                throw FormatError("FrameData frame at byte " + std::to_string(frame_at) +
                                      " is relative to a key frame, but none came before it",
                                  frame_at);
            t = key_ns + as_int(h.get(), frame_at, "frame time offset") * 1000;
        }
        msgpack::object_handle inflight, lost, rtts;
        if (!r.next(inflight) || !r.next(lost) || !r.next(rtts)) {
            imp.truncated_tail = true;
            break;
        }
        zzp_frame f = empty_frame(t);
        f.pending = 0;
        int64_t lost_count = as_int(lost.get(), frame_at, "lost count");
        // The original's lost is a sliding count; its increase is what this frame newly lost.
        f.lost = static_cast<uint32_t>(std::max<int64_t>(0, lost_count - prev_lost_count));
        prev_lost_count = lost_count;
        (void)as_int(inflight.get(), frame_at, "inflight");
        const auto& list = mp::array(rtts.get(), "RTT list");
        std::vector<int64_t> v;
        int64_t jitter_sum = 0;
        for (uint32_t i = 0; i < list.size; ++i) {
            v.push_back(as_int(list.ptr[i], frame_at, "RTT") * 1000);
            if (i > 0) jitter_sum += std::llabs(v[i] - v[i - 1]);
        }
        f.received = static_cast<uint32_t>(v.size());
        f.sent = f.received + f.lost;
        if (!v.empty()) {
            f.rtt_jitter_ns = v.size() >= 2 ? jitter_sum / static_cast<int64_t>(v.size() - 1) : -1;
            int64_t sum = 0;
            for (int64_t x : v) sum += x;
            f.rtt_mean_ns = sum / static_cast<int64_t>(v.size());
            std::sort(v.begin(), v.end());
            static const double qs[ZZP_QUANTILE_COUNT] = {0, 0.125, 0.25, 0.5, 0.75, 0.875, 1};
            for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) f.rtt_ns[i] = percentile(v, qs[i]);
        }
        imp.frames.push_back(f);
    }
    finish(imp);
    return imp;
}

LegacyImport read_fdq(const std::string& bytes, const std::string& path) {
    LegacyImport imp;
    imp.kind = "FrameDataQ";
    imp.host = host_from_legacy_name(path);
    LooseReader r(bytes);
    msgpack::object_handle hh;
    if (!r.next(hh) || hh.get().type != msgpack::type::MAP)
        throw FormatError("not an FDQ file: it does not start with a header map", 0);
    const auto& header = hh.get();
    const auto* schema = mp::find(header, "schema");
    if (!schema || schema->type != msgpack::type::STR || mp::string(*schema, "schema") != "FDCodec")
        throw FormatError("not an FDQ file: the header's schema is not \"FDCodec\"", 0);
    int64_t version = as_int(mp::require(header, "version", "FDQ header"), 0, "FDQ version");
    if (version > 101)
        throw FormatError("FDQ version " + std::to_string(version) + " is newer than 101, the last one this tool reads", 0);
    if (const auto* d = mp::find(header, "delta_enc"); d && d->type == msgpack::type::BOOLEAN && d->via.boolean)
        throw FormatError("this FDQ file was written with delta_enc = true; the original tool's delta encoder was "
                          "broken, so its RTTs cannot be recovered. Convert the original FrameData logs instead.",
                          0);
    std::optional<Quantizer> q;
    if (const auto* llq = mp::find(header, "recv_llq"); llq && llq->type != msgpack::type::NIL) {
        double p = mp::number(*llq, "recv_llq");
        if (!(p > 0 && p <= 1)) throw FormatError("FDQ recv_llq precision " + std::to_string(p) + " is not in (0, 1]", 0);
        q.emplace(p);
    }
    int64_t last_ts = 0;
    int64_t last_subsec = 0;
    bool have_ts = false;
    while (!r.at_end()) {
        size_t at = r.offset();
        msgpack::object_handle ts, subsec, first;
        if (!r.next(ts) || !r.next(subsec) || !r.next(first)) {
            imp.truncated_tail = true;
            break;
        }
        int64_t sub = as_int(subsec.get(), at, "subsec");
        if (ts.get().type == msgpack::type::NIL) {
            if (!have_ts)
                throw FormatError("FDQ frame at byte " + std::to_string(at) + " is relative, but no absolute frame came before it", at);
            sub += last_subsec;
        } else {
            last_ts = as_int(ts.get(), at, "timestamp");
            have_ts = true;
        }
        last_ts += sub / 1000;
        last_subsec = sub % 1000;
        zzp_frame f = empty_frame((last_ts * 1000 + last_subsec) * 1'000'000);
        int64_t first_value = as_int(first.get(), at, "inflight");
        if (first_value != -1) {
            msgpack::object_handle lost;
            if (!r.next(lost)) {
                imp.truncated_tail = true;
                break;
            }
            f.pending = static_cast<uint32_t>(std::max<int64_t>(0, first_value));
            f.lost = static_cast<uint32_t>(std::max<int64_t>(0, as_int(lost.get(), at, "lost")));
        }
        msgpack::object_handle n;
        if (!r.next(n)) {
            imp.truncated_tail = true;
            break;
        }
        f.received = static_cast<uint32_t>(std::max<int64_t>(0, as_int(n.get(), at, "sample count")));
        f.sent = f.received + f.lost + f.pending;
        if (f.received > 0) {
            msgpack::object_handle arr;
            if (!r.next(arr)) {
                imp.truncated_tail = true;
                break;
            }
            const auto& a = mp::array(arr.get(), "percentile array", ZZP_QUANTILE_COUNT);
            int64_t acc = 0;
            for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) {
                acc += as_int(a.ptr[i], at, "percentile");
                f.rtt_ns[i] = (q ? q->decode(acc) : acc) * 1000;
            }
        }
        if (f.pending) f.flags |= ZZP_FRAME_F_FORCED;
        imp.frames.push_back(f);
    }
    finish(imp);
    return imp;
}

LegacyImport read_legacy(const std::string& bytes, const std::string& path) {
    if (bytes.empty()) throw FormatError(path + " is empty", 0);
    // FDQ starts with its header map; FrameData with a key-frame timestamp string.
    auto first = static_cast<uint8_t>(bytes[0]);
    bool is_map = (first & 0xf0) == 0x80 || first == 0xde || first == 0xdf;
    return is_map ? read_fdq(bytes, path) : read_framedata(bytes, path);
}

std::string write_fdq(const std::vector<zzp_frame>& frames, std::optional<double> precision, int64_t full_encode_secs) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_map(5);
    pk.pack("schema");
    pk.pack("FDCodec");
    pk.pack("version");
    pk.pack(101);
    pk.pack("full_encode_secs");
    pk.pack(full_encode_secs);
    pk.pack("recv_llq");
    if (precision) pk.pack(*precision);
    else pk.pack_nil();
    pk.pack("delta_enc");
    pk.pack(false);
    std::optional<Quantizer> q;
    if (precision) q.emplace(*precision);
    bool have_last = false;
    int64_t last_ts = 0, last_sub = 0;
    for (const auto& f : frames) {
        int64_t ms = f.start_wall_ns / 1'000'000 - (f.start_wall_ns % 1'000'000 < 0);
        int64_t ts = ms / 1000 - (ms % 1000 < 0);
        int64_t sub = ms - ts * 1000;
        int64_t delta = (ts - last_ts) * 1000 + sub - last_sub;
        if (!have_last || ts - last_ts >= full_encode_secs || delta < 0) {
            pk.pack(static_cast<uint64_t>(ts));
            pk.pack(static_cast<uint64_t>(sub));
        } else {
            pk.pack_nil();
            pk.pack(static_cast<uint64_t>(delta));
        }
        have_last = true;
        last_ts = ts;
        last_sub = sub;
        uint32_t inflight = std::min<uint32_t>(f.pending, 65535), lost = std::min<uint32_t>(f.lost, 65535);
        if (inflight + lost > 0) {
            pk.pack(inflight);
            pk.pack(lost);
        } else {
            pk.pack(-1);
        }
        bool has_rtt = f.received > 0 && f.rtt_ns[0] != -1;
        pk.pack(has_rtt ? f.received : 0u);
        if (has_rtt) {
            pk.pack_array(ZZP_QUANTILE_COUNT);
            int64_t prev = 0;
            for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) {
                int64_t us = (f.rtt_ns[i] + 500) / 1000;
                int64_t code = q ? q->encode(us) : us;
                pk.pack(code - prev);
                prev = code;
            }
        }
    }
    return std::string(buf.data(), buf.size());
}

}  // namespace zzp::rec
