// The udp-echo wire format: the header every probe datagram starts with (docs/UDP_ECHO.md).
//
// All fields big-endian. A request is this header followed by zero padding up to the configured
// payload size. A standard echo service (RFC 862) sends it back unchanged; the bundled responder
// sets REPLY, and when the request carries STAMP_REQUEST also its own receive and send times
// (STAMPED), so the prober can subtract the responder's own delay.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zzp::udp_echo {

inline constexpr uint32_t kMagic = 0x5A5A5045;  // "ZZPE"
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 56;
// Largest UDP payload over IPv4; IPv6 allows the same (jumbograms aside).
inline constexpr size_t kMaxDatagram = 65507;

// Header flags.
inline constexpr uint8_t kFlagStampRequest = 0x01;  // prober: please stamp your times
inline constexpr uint8_t kFlagReply = 0x02;         // responder: this is a reply (never answer it)
inline constexpr uint8_t kFlagStamped = 0x04;       // responder: remote_rx/tx_ns are valid
inline constexpr uint8_t kKnownFlags = kFlagStampRequest | kFlagReply | kFlagStamped;

struct Header {
    uint8_t flags = 0;
    uint64_t nonce = 0;        // random per probe run: replies to another run are foreign
    uint32_t target_slot = 0;  // index of the target in the prober's configuration
    uint64_t seq = 0;          // per-target attempt sequence
    int64_t send_real_ns = 0;  // prober's CLOCK_REALTIME at send
    int64_t remote_rx_ns = 0;  // responder's receive time (its own clock), when STAMPED
    int64_t remote_tx_ns = 0;  // responder's send time (same clock), when STAMPED
};

// Byte layout (offsets):
//   0 magic u32 | 4 version u8 | 5 flags u8 | 6 reserved u16 (zero) | 8 nonce u64
//  16 target_slot u32 | 20 reserved u32 (zero) | 24 seq u64 | 32 send_real_ns i64
//  40 remote_rx_ns i64 | 48 remote_tx_ns i64 | 56 padding (zero) up to the payload size
void encode(const Header& h, uint8_t* out);  // writes kHeaderSize bytes

enum class DecodeError { kNone, kTooShort, kBadMagic, kBadVersion, kBadFlags };
const char* decode_error_name(DecodeError e);

// Parses the first kHeaderSize bytes of `data`. Bytes after the header are not inspected.
DecodeError decode(const uint8_t* data, size_t size, Header* out);

// Responder side: turn a request in place into a reply (REPLY set; STAMPED and the two times
// when the request asked). Only the header changes, so the reply is never larger.
void make_reply_in_place(uint8_t* datagram, bool stamp, int64_t remote_rx_ns, int64_t remote_tx_ns);

// Update only the send stamp of a reply built by make_reply_in_place (taken just before send).
void restamp_tx_in_place(uint8_t* datagram, int64_t remote_tx_ns);

}  // namespace zzp::udp_echo
