#include "messages.hpp"

#include <algorithm>

#include "msgpack_lite.hpp"

namespace zzp::stream {
namespace {

constexpr uint32_t kTargetRecordKind = 0;
constexpr uint32_t kFrameRecordKind = 1;
constexpr uint32_t kFrameRecordFields = 1 + 13 + ZZP_QUANTILE_COUNT + 2;
constexpr uint32_t kTargetRecordFields = 7;

// Header fields common to every message: [version, type, session, counter, ...].
void begin(MsgWriter& w, uint32_t body_fields, MsgType type, uint64_t session, uint64_t counter) {
    w.array(4 + body_fields);
    w.uint(kProtocolVersion);
    w.uint(static_cast<uint8_t>(type));
    w.uint(session);
    w.uint(counter);
}

void seal(std::string& datagram, const AuthKey* key) {
    if (!key) return;
    std::string tag = key->mac(datagram);
    MsgWriter(datagram).bin(tag);
}

std::string truncated(std::string_view s) { return std::string(s.substr(0, kMaxTargetStringBytes)); }

bool read_records(MsgReader& r, std::vector<TargetRecord>& targets, std::vector<zzp_frame>& frames);

bool decode_body(std::string_view datagram, MsgReader& r, uint32_t fields, Message& m, DecodedRecords* records) {
    // Fields past the ones version 1 defines are skipped: a later minor may append some.
    auto need = [&](uint32_t n) { return fields >= 4 + n; };
    uint32_t used = 4;
    switch (m.type) {
    case MsgType::kSubscribe: {
        if (!need(5)) return false;
        if (!r.sint(m.wall_ns) || !r.sint(m.history_ns) || !r.uint_as(m.window, UINT32_MAX)) return false;
        if (r.is_nil()) {
            r.nil();
            m.cookie = {};
        } else if (!r.bin(m.cookie)) {
            return false;
        }
        std::string_view padding;
        if (!r.bin(padding)) return false;
        used += 5;
        break;
    }
    case MsgType::kAck: {
        if (!need(4)) return false;
        uint32_t n;
        if (!r.uint(m.cum_ack) || !r.uint(m.highest_received) || !r.uint_as(m.window, UINT32_MAX) || !r.array(n) ||
            n > kMaxAckRanges)
            return false;
        m.missing_count = n;
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t two;
            if (!r.array(two) || two != 2 || !r.uint(m.missing[i].first) || !r.uint(m.missing[i].last) ||
                m.missing[i].last < m.missing[i].first)
                return false;
        }
        used += 4;
        break;
    }
    case MsgType::kUnsubscribe:
        break;
    case MsgType::kWelcome:
        if (!need(3)) return false;
        if (!r.uint(m.history_count) || !r.sint(m.keepalive_ns) || !r.sint(m.timeout_ns)) return false;
        used += 3;
        break;
    case MsgType::kRefuse: {
        if (!need(2)) return false;
        uint8_t reason;
        if (!r.uint_as(reason, 255) || !r.str(m.text)) return false;
        m.reason = static_cast<RefuseReason>(reason);
        used += 2;
        break;
    }
    case MsgType::kCookie:
        if (!need(1) || !r.bin(m.cookie)) return false;
        used += 1;
        break;
    case MsgType::kData: {
        if (!need(2) || !r.uint(m.seq) || m.seq == 0) return false;
        size_t start = r.offset();
        MsgReader list = r;  // a copy: on a bad record list, skip it from the start instead
        if (records && read_records(list, records->targets, records->frames)) {
            r = list;
            m.records_decoded = true;
        } else {
            if (records) {
                records->targets.clear();
                records->frames.clear();
            }
            if (!r.skip()) return false;
        }
        m.records = datagram.substr(start, r.offset() - start);
        used += 2;
        break;
    }
    case MsgType::kHeartbeat:
        if (!need(1) || !r.uint(m.seq)) return false;
        used += 1;
        break;
    default:
        return false;
    }
    for (; used < fields; ++used)
        if (!r.skip()) return false;
    return true;
}

bool decode_frame_fields(MsgReader& r, zzp_frame& f) {
    f = zzp_frame{};
    if (!r.uint_as(f.target_id, UINT32_MAX) || !r.sint(f.start_wall_ns) || !r.sint(f.interval_ns) ||
        !r.uint_as(f.revision, UINT32_MAX) || !r.uint_as(f.flags, UINT32_MAX) || !r.uint_as(f.sent, UINT32_MAX) ||
        !r.uint_as(f.received, UINT32_MAX) || !r.uint_as(f.lost, UINT32_MAX) || !r.uint_as(f.errors, UINT32_MAX) ||
        !r.uint_as(f.late, UINT32_MAX) || !r.uint_as(f.duplicates, UINT32_MAX) ||
        !r.uint_as(f.reordered, UINT32_MAX) || !r.uint_as(f.pending, UINT32_MAX))
        return false;
    for (int64_t& q : f.rtt_ns)
        if (!r.sint(q)) return false;
    return r.sint(f.rtt_mean_ns) && r.sint(f.rtt_jitter_ns);
}

}  // namespace

const char* decode_status_name(DecodeStatus s) {
    switch (s) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kMalformed: return "malformed";
    case DecodeStatus::kVersion: return "version";
    case DecodeStatus::kMissingMac: return "unauthenticated";
    case DecodeStatus::kUnexpectedMac: return "unexpected-mac";
    case DecodeStatus::kBadMac: return "bad-mac";
    }
    return "unknown";
}

DecodeStatus decode_datagram(std::string_view datagram, const AuthKey* key, Message& out) noexcept {
    return decode_datagram(datagram, key, out, nullptr);
}

DecodeStatus decode_datagram(std::string_view datagram, const AuthKey* key, Message& out,
                             DecodedRecords* records) noexcept {
    try {
        if (datagram.empty() || datagram.size() > kMaxDatagramBytes) return DecodeStatus::kMalformed;
        MsgReader r(datagram);
        uint32_t fields;
        uint64_t version, type;
        if (!r.array(fields) || fields < 4 || !r.uint(version)) return DecodeStatus::kMalformed;
        if (version != kProtocolVersion) return DecodeStatus::kVersion;
        out = Message{};
        if (!r.uint(type) || type > 255 || !r.uint(out.session) || !r.uint(out.counter))
            return DecodeStatus::kMalformed;
        out.type = static_cast<MsgType>(type);
        if (!decode_body(datagram, r, fields, out, records)) return DecodeStatus::kMalformed;
        std::string_view message = datagram.substr(0, r.offset());
        if (r.at_end()) return key ? DecodeStatus::kMissingMac : DecodeStatus::kOk;
        std::string_view tag;
        if (!r.bin(tag) || !r.at_end() || tag.size() != kMacBytes) return DecodeStatus::kMalformed;
        if (!key) return DecodeStatus::kUnexpectedMac;
        return key->verify(message, tag) ? DecodeStatus::kOk : DecodeStatus::kBadMac;
    } catch (...) {
        // Only an allocation failure inside HMAC can throw; treat the datagram as unusable.
        return DecodeStatus::kMalformed;
    }
}

std::string encode_subscribe(uint64_t session, uint64_t counter, int64_t wall_ns, int64_t history_ns, uint32_t window,
                             std::string_view cookie, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 5, MsgType::kSubscribe, session, counter);
    w.sint(wall_ns);
    w.sint(history_ns);
    w.uint(window);
    if (cookie.empty())
        w.nil();
    else
        w.bin(cookie);
    // Pad so the request is at least as large as any answer sent before the address is trusted.
    size_t tail = 2 + (key ? 2 + kMacBytes : 0);
    size_t pad = out.size() + tail < kMinSubscribeBytes ? kMinSubscribeBytes - out.size() - tail : 0;
    w.bin(std::string(pad, '\0'));
    seal(out, key);
    return out;
}

std::string encode_ack(uint64_t session, uint64_t counter, uint64_t cum_ack, uint64_t highest_received, uint32_t window,
                       const std::vector<SeqRange>& missing, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 4, MsgType::kAck, session, counter);
    w.uint(cum_ack);
    w.uint(highest_received);
    w.uint(window);
    size_t n = std::min(missing.size(), kMaxAckRanges);
    w.array(static_cast<uint32_t>(n));
    for (size_t i = 0; i < n; ++i) {
        w.array(2);
        w.uint(missing[i].first);
        w.uint(missing[i].last);
    }
    seal(out, key);
    return out;
}

std::string encode_unsubscribe(uint64_t session, uint64_t counter, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 0, MsgType::kUnsubscribe, session, counter);
    seal(out, key);
    return out;
}

std::string encode_welcome(uint64_t session, uint64_t counter, uint64_t history_count, int64_t keepalive_ns,
                           int64_t timeout_ns, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 3, MsgType::kWelcome, session, counter);
    w.uint(history_count);
    w.sint(keepalive_ns);
    w.sint(timeout_ns);
    seal(out, key);
    return out;
}

std::string encode_refuse(uint64_t session, uint64_t counter, RefuseReason reason, std::string_view text,
                          const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 2, MsgType::kRefuse, session, counter);
    w.uint(static_cast<uint8_t>(reason));
    w.str(text.substr(0, 48));  // short: refusals may go to addresses not yet trusted
    seal(out, key);
    return out;
}

std::string encode_cookie(uint64_t session, uint64_t counter, std::string_view cookie, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 1, MsgType::kCookie, session, counter);
    w.bin(cookie);
    seal(out, key);
    return out;
}

std::string encode_heartbeat(uint64_t session, uint64_t counter, uint64_t last_seq, const AuthKey* key) {
    std::string out;
    MsgWriter w(out);
    begin(w, 1, MsgType::kHeartbeat, session, counter);
    w.uint(last_seq);
    seal(out, key);
    return out;
}

void encode_data(std::string& out, uint64_t session, uint64_t counter, uint64_t seq, std::string_view records,
                 const AuthKey* key) {
    out.clear();
    MsgWriter w(out);
    begin(w, 2, MsgType::kData, session, counter);
    w.uint(seq);
    w.raw(records);
    seal(out, key);
}

bool RecordListBuilder::add_frame(const zzp_frame& f) {
    scratch_.clear();
    MsgWriter w(scratch_);
    w.array(kFrameRecordFields);
    w.uint(kFrameRecordKind);
    w.uint(f.target_id);
    w.sint(f.start_wall_ns);
    w.sint(f.interval_ns);
    w.uint(f.revision);
    w.uint(f.flags);
    w.uint(f.sent);
    w.uint(f.received);
    w.uint(f.lost);
    w.uint(f.errors);
    w.uint(f.late);
    w.uint(f.duplicates);
    w.uint(f.reordered);
    w.uint(f.pending);
    for (int64_t q : f.rtt_ns) w.sint(q);
    w.sint(f.rtt_mean_ns);
    w.sint(f.rtt_jitter_ns);
    return append(scratch_);
}

bool RecordListBuilder::add_target(const TargetRecord& t) {
    scratch_.clear();
    MsgWriter w(scratch_);
    w.array(kTargetRecordFields);
    w.uint(kTargetRecordKind);
    w.uint(t.id);
    w.str(truncated(t.name));
    w.str(truncated(t.address));
    w.str(truncated(t.method));
    w.str(truncated(t.probe));
    w.sint(t.interval_ns);
    return append(scratch_);
}

bool RecordListBuilder::append(const std::string& record) {
    // The list's array marker takes 1 byte below 16 records, 3 bytes from 16 on.
    size_t marker = count_ + 1 < 16 ? 1 : 3;
    if (marker + body_.size() + record.size() > kMaxRecordsBytes) return false;
    body_ += record;
    ++count_;
    return true;
}

std::string RecordListBuilder::take() {
    std::string out;
    out.reserve(body_.size() + 3);
    MsgWriter(out).array(count_);
    out += body_;
    body_.clear();
    count_ = 0;
    return out;
}

namespace {

// Reads one record list (an array) at r; false on anything invalid. Appends to the outputs.
bool read_records(MsgReader& r, std::vector<TargetRecord>& targets, std::vector<zzp_frame>& frames) {
    targets.clear();
    frames.clear();
    uint32_t n;
    if (!r.array(n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t fields;
        uint32_t kind;
        if (!r.array(fields) || fields < 1 || !r.uint_as(kind, UINT32_MAX)) return false;
        uint32_t used = 1;
        if (kind == kFrameRecordKind) {
            if (fields < kFrameRecordFields) return false;
            frames.emplace_back();
            if (!decode_frame_fields(r, frames.back())) return false;
            used = kFrameRecordFields;
        } else if (kind == kTargetRecordKind) {
            if (fields < kTargetRecordFields) return false;
            TargetRecord t;
            std::string_view name, address, method, probe;
            if (!r.uint_as(t.id, UINT32_MAX) || !r.str(name) || !r.str(address) || !r.str(method) ||
                !r.str(probe) || !r.sint(t.interval_ns))
                return false;
            t.name = name;
            t.address = address;
            t.method = method;
            t.probe = probe;
            targets.push_back(std::move(t));
            used = kTargetRecordFields;
        }
        // Fields a later minor appends, or a whole record of a kind from a later minor: skipped,
        // at their depth below the datagram (list 0, record 1, field 2), so the nesting limit is
        // the same as when the whole list is skipped.
        for (; used < fields; ++used)
            if (!r.skip(2)) return false;
    }
    return true;
}

}  // namespace

bool decode_records(std::string_view records, std::vector<TargetRecord>& targets,
                    std::vector<zzp_frame>& frames) noexcept {
    try {
        MsgReader r(records);
        return read_records(r, targets, frames) && r.at_end();
    } catch (...) {
        return false;
    }
}

}  // namespace zzp::stream
