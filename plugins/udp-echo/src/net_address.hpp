// Socket addresses for udp-echo: "host:port" endpoints (IPv4, "[v6]:port", names resolved) and
// CIDR allow-lists. Errors come back as text for the caller to attach to a config key.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace zzp::udp_echo {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family() const { return addr.ss_family; }
    uint16_t port() const;
    std::string to_string() const;  // numeric: "127.0.0.1:7", "[::1]:7"
};

// Parses "host:port" / "[v6]:port" / "v4:port"; `host` may be a name when `resolve` is true
// (first address of getaddrinfo). Port 0 ("any free port", for listening) only when
// `allow_port_zero`. Returns false with *error set.
bool parse_endpoint(const std::string& text, bool resolve, Endpoint* out, std::string* error,
                    bool allow_port_zero = false);

// Same source host? (port ignored; v4-mapped v6 compares equal to the v4 address)
bool same_host(const sockaddr* a, const sockaddr* b);
bool same_endpoint(const sockaddr* a, const sockaddr* b);

// A 16-byte host key: IPv4 as v4-mapped IPv6, so one table holds both families.
using HostKey = std::array<uint8_t, 16>;
HostKey host_key(const sockaddr* a);

struct Cidr {
    HostKey prefix{};     // v4 networks stored v4-mapped
    int prefix_bits = 0;  // over the 128-bit key (v4 /n becomes /96+n)
    bool matches(const HostKey& k) const;
};

bool parse_cidr(const std::string& text, Cidr* out, std::string* error);

class AllowList {
public:
    void add(const Cidr& c) { entries_.push_back(c); }
    bool allows(const sockaddr* source) const;
    bool empty() const { return entries_.empty(); }

private:
    std::vector<Cidr> entries_;
};

}  // namespace zzp::udp_echo
