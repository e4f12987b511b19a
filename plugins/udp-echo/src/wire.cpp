#include "wire.hpp"

#include <cstring>

namespace zzp::udp_echo {
namespace {

void put_u16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint32_t get_u32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
    return v;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

constexpr size_t kOffVersion = 4, kOffFlags = 5, kOffReserved16 = 6, kOffNonce = 8, kOffSlot = 16, kOffReserved32 = 20,
                 kOffSeq = 24, kOffSendReal = 32, kOffRemoteRx = 40, kOffRemoteTx = 48;

}  // namespace

void encode(const Header& h, uint8_t* out) {
    put_u32(out, kMagic);
    out[kOffVersion] = kVersion;
    out[kOffFlags] = h.flags;
    put_u16(out + kOffReserved16, 0);
    put_u64(out + kOffNonce, h.nonce);
    put_u32(out + kOffSlot, h.target_slot);
    put_u32(out + kOffReserved32, 0);
    put_u64(out + kOffSeq, h.seq);
    put_u64(out + kOffSendReal, static_cast<uint64_t>(h.send_real_ns));
    put_u64(out + kOffRemoteRx, static_cast<uint64_t>(h.remote_rx_ns));
    put_u64(out + kOffRemoteTx, static_cast<uint64_t>(h.remote_tx_ns));
}

const char* decode_error_name(DecodeError e) {
    switch (e) {
        case DecodeError::kNone:
            return "ok";
        case DecodeError::kTooShort:
            return "shorter than the 56-byte header";
        case DecodeError::kBadMagic:
            return "bad magic";
        case DecodeError::kBadVersion:
            return "unknown version";
        case DecodeError::kBadFlags:
            return "unknown flags";
    }
    return "?";
}

DecodeError decode(const uint8_t* data, size_t size, Header* out) {
    if (data == nullptr || size < kHeaderSize) return DecodeError::kTooShort;
    if (get_u32(data) != kMagic) return DecodeError::kBadMagic;
    if (data[kOffVersion] != kVersion) return DecodeError::kBadVersion;
    if ((data[kOffFlags] & ~kKnownFlags) != 0) return DecodeError::kBadFlags;
    out->flags = data[kOffFlags];
    out->nonce = get_u64(data + kOffNonce);
    out->target_slot = get_u32(data + kOffSlot);
    out->seq = get_u64(data + kOffSeq);
    out->send_real_ns = static_cast<int64_t>(get_u64(data + kOffSendReal));
    out->remote_rx_ns = static_cast<int64_t>(get_u64(data + kOffRemoteRx));
    out->remote_tx_ns = static_cast<int64_t>(get_u64(data + kOffRemoteTx));
    return DecodeError::kNone;
}

void make_reply_in_place(uint8_t* datagram, bool stamp, int64_t remote_rx_ns, int64_t remote_tx_ns) {
    uint8_t flags = static_cast<uint8_t>(datagram[kOffFlags] | kFlagReply);
    if (stamp) {
        flags |= kFlagStamped;
        put_u64(datagram + kOffRemoteRx, static_cast<uint64_t>(remote_rx_ns));
        put_u64(datagram + kOffRemoteTx, static_cast<uint64_t>(remote_tx_ns));
    }
    datagram[kOffFlags] = flags;
}

void restamp_tx_in_place(uint8_t* datagram, int64_t remote_tx_ns) {
    put_u64(datagram + kOffRemoteTx, static_cast<uint64_t>(remote_tx_ns));
}

}  // namespace zzp::udp_echo
