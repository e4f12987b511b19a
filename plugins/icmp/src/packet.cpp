#include "packet.hpp"

#include <cstring>
#include <initializer_list>

namespace zzp::icmp {
namespace {

void put_u16_be(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
uint16_t get_u16_be(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
void put_u64_le(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t get_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
}
void put_u32_le(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32_le(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
    return v;
}

// A keyed mix of the stamp fields: a reply whose fields were altered, or a stamp from another
// run, fails it. Not cryptographic: an on-path host sees the nonce anyway.
uint32_t stamp_check(uint64_t nonce, uint64_t seq, int64_t send_mono, uint32_t target) {
    uint64_t h = nonce ^ 0x9e3779b97f4a7c15ull;
    for (uint64_t v : {seq, static_cast<uint64_t>(send_mono), static_cast<uint64_t>(target)}) {
        h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return static_cast<uint32_t>(h ^ (h >> 32));
}

void write_checksum_v4(uint8_t* packet, size_t length) {
    packet[2] = packet[3] = 0;
    put_u16_be(packet + 2, internet_checksum(packet, length));
}

bool is_error_type(bool ipv6, uint8_t type) {
    if (ipv6)
        return type == kV6DestUnreachable || type == kV6PacketTooBig || type == kV6TimeExceeded ||
               type == kV6ParamProblem;
    return type == kV4DestUnreachable || type == kV4TimeExceeded || type == kV4ParamProblem;
}

}  // namespace

uint16_t internet_checksum(const uint8_t* data, size_t length) {
    uint32_t sum = 0;
    size_t i = 0;
    for (; i + 1 < length; i += 2) sum += get_u16_be(data + i);
    if (i < length) sum += static_cast<uint32_t>(data[i]) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

size_t build_echo_request(bool ipv6, uint16_t ident, const Stamp& stamp, uint32_t payload_size, uint8_t* out) {
    size_t length = kIcmpHeaderSize + payload_size;
    out[0] = ipv6 ? kV6EchoRequest : kV4EchoRequest;
    out[1] = 0;
    out[2] = out[3] = 0;
    put_u16_be(out + 4, ident);
    put_u16_be(out + 6, static_cast<uint16_t>(stamp.seq & 0xffff));
    uint8_t* p = out + kIcmpHeaderSize;
    put_u64_le(p, stamp.nonce);
    put_u64_le(p + 8, stamp.seq);
    put_u64_le(p + 16, static_cast<uint64_t>(stamp.send_mono_ns));
    put_u32_le(p + 24, stamp.target);
    put_u32_le(p + 28, stamp_check(stamp.nonce, stamp.seq, stamp.send_mono_ns, stamp.target));
    for (size_t i = kStampSize; i < payload_size; ++i) p[i] = static_cast<uint8_t>(0x20 + i % 64);
    if (!ipv6) write_checksum_v4(out, length);
    return length;
}

void restamp_send_time(bool ipv6, int64_t send_mono_ns, uint64_t nonce, uint8_t* packet, size_t length) {
    uint8_t* p = packet + kIcmpHeaderSize;
    put_u64_le(p + 16, static_cast<uint64_t>(send_mono_ns));
    put_u32_le(p + 28, stamp_check(nonce, get_u64_le(p + 8), send_mono_ns, get_u32_le(p + 24)));
    if (!ipv6) write_checksum_v4(packet, length);
}

bool read_stamp(const uint8_t* payload, size_t length, uint64_t nonce, Stamp* out) {
    if (payload == nullptr || length < kStampSize) return false;
    if (get_u64_le(payload) != nonce) return false;
    Stamp s;
    s.nonce = nonce;
    s.seq = get_u64_le(payload + 8);
    s.send_mono_ns = static_cast<int64_t>(get_u64_le(payload + 16));
    s.target = get_u32_le(payload + 24);
    if (get_u32_le(payload + 28) != stamp_check(nonce, s.seq, s.send_mono_ns, s.target)) return false;
    *out = s;
    return true;
}

ParsedPacket parse_error_queue_quote(bool ipv6, const uint8_t* data, size_t length) {
    ParsedPacket out;
    if (length < kIcmpHeaderSize) return out;
    if (data[0] != (ipv6 ? kV6EchoRequest : kV4EchoRequest)) return out;
    out.kind = PacketKind::kError;
    out.ident = get_u16_be(data + 4);
    out.seq16 = get_u16_be(data + 6);
    out.payload = data + kIcmpHeaderSize;
    out.payload_length = length - kIcmpHeaderSize;
    return out;
}

ParsedPacket parse_icmp(bool ipv6, bool has_ip_header, const uint8_t* data, size_t length) {
    ParsedPacket out;
    if (has_ip_header) {
        if (length < 20 || (data[0] >> 4) != 4) return out;
        size_t ihl = static_cast<size_t>(data[0] & 0x0f) * 4;
        if (ihl < 20 || length < ihl) return out;
        data += ihl;
        length -= ihl;
    }
    if (length < kIcmpHeaderSize) return out;
    uint8_t type = data[0];
    if (type == (ipv6 ? kV6EchoReply : kV4EchoReply)) {
        out.kind = PacketKind::kEchoReply;
        out.ident = get_u16_be(data + 4);
        out.seq16 = get_u16_be(data + 6);
        out.payload = data + kIcmpHeaderSize;
        out.payload_length = length - kIcmpHeaderSize;
        return out;
    }
    if (!is_error_type(ipv6, type)) return out;  // includes our own echo requests on loopback
    // The error quotes the offending packet: its IP header, then (at least) 8 bytes of our ICMP header.
    const uint8_t* quote = data + kIcmpHeaderSize;
    size_t quote_length = length - kIcmpHeaderSize;
    const uint8_t* destination = nullptr;
    if (ipv6) {
        if (quote_length < 40 + kIcmpHeaderSize || (quote[0] >> 4) != 6 || quote[6] != 58) return out;
        destination = quote + 24;
        quote += 40;
        quote_length -= 40;
    } else {
        if (quote_length < 20 || (quote[0] >> 4) != 4) return out;
        size_t ihl = static_cast<size_t>(quote[0] & 0x0f) * 4;
        if (ihl < 20 || quote_length < ihl + kIcmpHeaderSize || quote[9] != 1) return out;
        destination = quote + 16;
        quote += ihl;
        quote_length -= ihl;
    }
    ParsedPacket inner = parse_error_queue_quote(ipv6, quote, quote_length);
    if (inner.kind != PacketKind::kError) return out;
    inner.error_type = type;
    inner.error_code = data[1];
    inner.quoted_destination = destination;
    return inner;
}

}  // namespace zzp::icmp
