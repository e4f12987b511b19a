// The ICMP probe's settings, read and range-checked from the instance's TOML table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <zzprobe/plugin.hpp>

namespace zzp::icmp {

enum class SocketMode { kAuto, kDgram, kRaw };
enum class Family { kAny, kIpv4, kIpv6 };

struct IcmpConfig {
    std::vector<std::string> targets;  // literals or host names, as configured
    double rate_per_target = 10.0;     // echo requests per second per target
    uint32_t payload_size = 56;        // ICMP data bytes after the 8-byte header
    int64_t timeout_ns = 1'000'000'000;
    int ttl = 0;            // 0: the system default
    int dscp = 0;           // 0..63
    std::string source;     // bind address, "" for any
    std::string interface;  // SO_BINDTODEVICE, "" for none
    SocketMode socket_mode = SocketMode::kAuto;
    Family family = Family::kAny;  // which address family a host name resolves to
    int64_t resolve_interval_ns = 300'000'000'000;
    int sender_priority = 0;          // 0: normal scheduling; 1..99: SCHED_FIFO for the sender thread
    bool transmit_timestamps = true;  // ask the kernel for transmit timestamps (RTT from the wire)
};

// Our payload stamp needs this many bytes (see packet.hpp).
constexpr uint32_t kMinPayloadSize = 32;
constexpr uint32_t kMaxPayloadSize = 65000;
constexpr double kMinRate = 0.1;
constexpr double kMaxRate = 1000.0;

// Reads and validates; throws zzp::Error(ZZP_E_CONFIG) naming the key at fault.
// Optional keys that are absent take the defaults above (the host fills them in too).
IcmpConfig parse_config(const zzp::Config& config);

// True if `text` is an acceptable host name (RFC 1123 letters, digits, '-', '.').
bool is_valid_host_name(const std::string& text);

}  // namespace zzp::icmp
