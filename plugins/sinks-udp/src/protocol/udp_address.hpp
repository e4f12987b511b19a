// Numeric UDP endpoints ("127.0.0.1:7879", "[::1]:7879"): parsing, printing, loopback test.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace zzp::stream {

struct UdpAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
};

// Parses "IPv4:port" or "[IPv6]:port" (numeric only, so a config never triggers DNS).
// On failure returns nullopt and a message saying what is expected.
std::optional<UdpAddress> parse_udp_address(std::string_view text, std::string* error);

// 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool is_loopback(const sockaddr* addr);
std::string format_address(const sockaddr* addr);
bool same_address(const sockaddr* a, const sockaddr* b);
uint16_t address_port(const sockaddr* addr);

}  // namespace zzp::stream
