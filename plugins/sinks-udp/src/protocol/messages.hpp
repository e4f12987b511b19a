// The udp-stream wire protocol, version 1 (docs/STREAM.md is the normative description).
//
// A datagram is one MessagePack array [version, type, session, counter, body...], followed,
// when the stream has a shared secret, by a MessagePack bin of 16 bytes: HMAC-SHA256/128 over
// the array's bytes. Every datagram fits in kMaxDatagramBytes.
#pragma once

#include <zzprobe/frame.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth.hpp"

namespace zzp::stream {

constexpr uint64_t kProtocolVersion = 1;
constexpr size_t kMaxDatagramBytes = 1200;
// Room left for a pre-encoded record list in a DATA datagram: 1200 minus the worst-case
// header (array marker, version, type, 3 x uint64) and the MAC.
constexpr size_t kMaxRecordsBytes = kMaxDatagramBytes - 30 - (2 + kMacBytes);
// Subscribe requests are padded to this size, so nothing the sink answers before it trusts
// the sender's address (a cookie, a refusal) is larger than the request.
constexpr size_t kMinSubscribeBytes = 128;
// Strings in target records are cut to this many bytes so one record always fits.
constexpr size_t kMaxTargetStringBytes = 200;
constexpr size_t kMaxAckRanges = 32;

enum class MsgType : uint8_t {
    kSubscribe = 1,    // viewer -> sink
    kAck = 2,          // viewer -> sink: keepalive, cumulative ack, missing ranges
    kUnsubscribe = 3,  // viewer -> sink
    kWelcome = 16,     // sink -> viewer: subscription accepted
    kRefuse = 17,      // sink -> viewer: subscription refused or unknown
    kCookie = 18,      // sink -> viewer: prove your address, resend subscribe with this cookie
    kData = 19,        // sink -> viewer: records with a per-subscription sequence number
    kHeartbeat = 20,   // sink -> viewer: the highest sequence sent so far
};

enum class RefuseReason : uint8_t {
    kFull = 1,            // max_subscribers reached; try again later
    kUnknownSession = 2,  // expired or never known; subscribe again
    kStale = 3,           // subscribe timestamp outside the replay window (clock skew?)
    kShuttingDown = 4,
};

struct SeqRange {
    uint64_t first = 0;
    uint64_t last = 0;  // inclusive
};

// One decoded datagram. string_views point into the datagram passed to decode_datagram.
struct Message {
    MsgType type{};
    uint64_t session = 0;
    uint64_t counter = 0;
    // kSubscribe
    int64_t wall_ns = 0;
    int64_t history_ns = 0;
    uint32_t window = 0;  // also kAck: datagrams the viewer can buffer
    std::string_view cookie;  // also kCookie
    // kAck
    uint64_t cum_ack = 0;
    uint64_t highest_received = 0;  // highest seq that arrived (evidence for loss below it)
    uint32_t missing_count = 0;
    std::array<SeqRange, kMaxAckRanges> missing{};
    // kWelcome
    uint64_t history_count = 0;  // DATA seqs 1..history_count carry the history snapshot
    int64_t keepalive_ns = 0;
    int64_t timeout_ns = 0;
    // kRefuse
    RefuseReason reason{};
    std::string_view text;
    // kData
    uint64_t seq = 0;       // also kHeartbeat: the highest seq sent
    std::string_view records;  // a MessagePack array of records (decode_records)
    bool records_decoded = false;  // decode_datagram filled its DecodedRecords from `records`
};

struct DecodedRecords;  // below the record types

enum class DecodeStatus {
    kOk,
    kMalformed,        // not a well-formed message of a known type, or over 1200 bytes
    kVersion,          // another protocol version
    kMissingMac,       // the stream has a secret; the datagram carries no tag
    kUnexpectedMac,    // the stream has no secret; the datagram carries a tag
    kBadMac,           // the tag does not verify (wrong secret or tampered)
};
const char* decode_status_name(DecodeStatus s);

// Parse and (with a key) authenticate one datagram. Never throws on any input.
DecodeStatus decode_datagram(std::string_view datagram, const AuthKey* key, Message& out) noexcept;
// The same, and for a DATA datagram also its records into `records` (cleared first), so a
// receiver walks the list once instead of once to find its end and again to decode it. When
// the list is well-formed MessagePack but not a valid record list, the datagram still decodes
// (records_decoded = false, as decode_records would refuse it); any other status leaves
// `records` meaningless.
DecodeStatus decode_datagram(std::string_view datagram, const AuthKey* key, Message& out,
                             DecodedRecords* records) noexcept;

// ---- building datagrams ------------------------------------------------------------------
// Each returns the complete datagram, MAC appended when key != nullptr.
std::string encode_subscribe(uint64_t session, uint64_t counter, int64_t wall_ns, int64_t history_ns, uint32_t window,
                             std::string_view cookie, const AuthKey* key);
std::string encode_ack(uint64_t session, uint64_t counter, uint64_t cum_ack, uint64_t highest_received, uint32_t window,
                       const std::vector<SeqRange>& missing, const AuthKey* key);
std::string encode_unsubscribe(uint64_t session, uint64_t counter, const AuthKey* key);
std::string encode_welcome(uint64_t session, uint64_t counter, uint64_t history_count, int64_t keepalive_ns,
                           int64_t timeout_ns, const AuthKey* key);
std::string encode_refuse(uint64_t session, uint64_t counter, RefuseReason reason, std::string_view text,
                          const AuthKey* key);
std::string encode_cookie(uint64_t session, uint64_t counter, std::string_view cookie, const AuthKey* key);
std::string encode_heartbeat(uint64_t session, uint64_t counter, uint64_t last_seq, const AuthKey* key);
// `records` is a pre-encoded record list (RecordListBuilder) of at most kMaxRecordsBytes.
void encode_data(std::string& out, uint64_t session, uint64_t counter, uint64_t seq, std::string_view records,
                 const AuthKey* key);

// ---- records -----------------------------------------------------------------------------

struct TargetRecord {
    uint32_t id = 0;
    std::string name;
    std::string address;
    std::string method;
    std::string probe;
    int64_t interval_ns = 0;
    bool operator==(const TargetRecord&) const = default;
};

// The records of a DATA datagram, decoded in the same pass as the datagram (decode_datagram).
struct DecodedRecords {
    std::vector<TargetRecord> targets;
    std::vector<zzp_frame> frames;
};

// Collects encoded records into lists that each fit one DATA datagram.
class RecordListBuilder {
public:
    // Appends a record; returns false (and appends nothing) when it would not fit: take() then.
    bool add_frame(const zzp_frame& f);
    bool add_target(const TargetRecord& t);
    bool empty() const { return count_ == 0; }
    uint32_t count() const { return count_; }
    // The finished list (array marker + records); the builder is empty afterwards.
    std::string take();

private:
    bool append(const std::string& record);
    std::string body_;
    uint32_t count_ = 0;
    std::string scratch_;
};

// Decode a record list, validating all of it before returning true. Outputs are cleared first.
bool decode_records(std::string_view records, std::vector<TargetRecord>& targets,
                    std::vector<zzp_frame>& frames) noexcept;

}  // namespace zzp::stream
