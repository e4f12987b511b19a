// Turning a configured target (literal or host name) into a socket address.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "config.hpp"

namespace zzp::icmp {

struct ResolvedAddress {
    sockaddr_storage address{};
    socklen_t length = 0;
    std::string text;  // numeric form, "192.0.2.1" or "::1"
    int family() const { return address.ss_family; }
};

// A numeric literal (IPv4, IPv6, IPv6 with %scope)? Fills out when it is.
bool parse_literal(const std::string& target, ResolvedAddress* out);

// Resolves a host name (blocking getaddrinfo); false with a reason on failure.
bool resolve_name(const std::string& name, Family family, ResolvedAddress* out, std::string* error);

// Same family and address (ports and flow labels ignored).
bool same_address(const sockaddr_storage& a, const sockaddr* b);
// Compares a raw 4- or 16-byte address (from a quoted header) with a socket address.
bool same_raw_address(const sockaddr_storage& a, const uint8_t* raw, int family);

}  // namespace zzp::icmp
