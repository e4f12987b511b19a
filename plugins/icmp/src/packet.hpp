// ICMP/ICMPv6 echo packets: building requests and classifying what a socket hands back.
// Pure functions over byte buffers, so they are tested without sockets.
//
// Request payload ("stamp", little-endian, after the 8-byte ICMP header):
//   [0..8)   nonce      per-run random value: replies without it are foreign
//   [8..16)  seq        the 64-bit zzp sample sequence (the ICMP field carries its low 16 bits)
//   [16..24) send_mono  CLOCK_MONOTONIC send time, ns: must equal what we recorded (anti-forgery)
//   [24..28) target     index of the target in this probe instance
//   [28..32) check      nonce-keyed check of the fields above
//   [32..)   filler pattern up to payload_size
#pragma once

#include <cstddef>
#include <cstdint>

namespace zzp::icmp {

constexpr size_t kIcmpHeaderSize = 8;
constexpr size_t kStampSize = 32;

// ICMP types we send and recognise.
constexpr uint8_t kV4EchoRequest = 8, kV4EchoReply = 0, kV4DestUnreachable = 3, kV4TimeExceeded = 11,
                  kV4ParamProblem = 12;
constexpr uint8_t kV6EchoRequest = 128, kV6EchoReply = 129, kV6DestUnreachable = 1, kV6PacketTooBig = 2,
                  kV6TimeExceeded = 3, kV6ParamProblem = 4;

struct Stamp {
    uint64_t nonce = 0;
    uint64_t seq = 0;
    int64_t send_mono_ns = 0;
    uint32_t target = 0;
};

// Writes a complete echo request (header + payload_size bytes) into out, which must hold
// kIcmpHeaderSize + payload_size bytes. The checksum is filled for IPv4; for ICMPv6 the kernel
// computes it (it needs the pseudo-header). Returns the packet length.
size_t build_echo_request(bool ipv6, uint16_t ident, const Stamp& stamp, uint32_t payload_size, uint8_t* out);

// Rewrites the send time (and check, and the IPv4 checksum) of a request built by
// build_echo_request: the clock is read as late as possible, right before the send.
void restamp_send_time(bool ipv6, int64_t send_mono_ns, uint64_t nonce, uint8_t* packet, size_t length);

// Reads and verifies a stamp from an echo payload; false if absent, short, or the check fails.
bool read_stamp(const uint8_t* payload, size_t length, uint64_t nonce, Stamp* out);

uint16_t internet_checksum(const uint8_t* data, size_t length);

// What one received datagram is.
enum class PacketKind {
    kIgnored,    // not an echo reply or error for us (our own request on loopback, other types)
    kEchoReply,  // type echo reply: ident, seq, payload set
    kError,      // unreachable / time exceeded / ...: error_type, error_code, quoted fields set
};

struct ParsedPacket {
    PacketKind kind = PacketKind::kIgnored;
    uint16_t ident = 0;
    uint16_t seq16 = 0;
    const uint8_t* payload = nullptr;  // echo payload (reply) or quoted echo payload (error)
    size_t payload_length = 0;
    uint8_t error_type = 0;
    uint8_t error_code = 0;
    // For errors: the destination of the quoted request (4 or 16 bytes), when the quote has it.
    const uint8_t* quoted_destination = nullptr;
};

// data/length: what recv returned. has_ip_header: raw IPv4 sockets deliver the IP header,
// datagram and ICMPv6 sockets do not.
ParsedPacket parse_icmp(bool ipv6, bool has_ip_header, const uint8_t* data, size_t length);

// Parses the original request quoted back by the kernel's error queue (dgram sockets):
// starts at the ICMP header of our request.
ParsedPacket parse_error_queue_quote(bool ipv6, const uint8_t* data, size_t length);

}  // namespace zzp::icmp
