#include "net_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

namespace zzp::udp_echo {

uint16_t Endpoint::port() const {
    if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    return 0;
}

std::string Endpoint::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(port());
    }
    if (addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(port());
    }
    return "(none)";
}

bool parse_endpoint(const std::string& text, bool resolve, Endpoint* out, std::string* error, bool allow_port_zero) {
    std::string host, port;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            *error = "'" + text + "' is not \"[ipv6]:port\" (e.g. \"[::1]:7790\")";
            return false;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) {
            *error = "'" + text + "' is not \"host:port\" (write IPv6 as \"[::1]:7790\")";
            return false;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    char* end = nullptr;
    long p = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < (allow_port_zero ? 0 : 1) || p > 65535) {
        *error = "'" + text + "': the port must be a number from 1 to 65535";
        return false;
    }
    if (host.empty()) {
        *error = "'" + text + "': the host is empty";
        return false;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = resolve ? 0 : AI_NUMERICHOST;
    hints.ai_flags |= AI_NUMERICSERV;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) {
        *error = "'" + text + "': cannot resolve '" + host + "': " + gai_strerror(rc) +
                 (resolve ? "" : " (a numeric address is required here)");
        return false;
    }
    std::memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
    out->len = static_cast<socklen_t>(res->ai_addrlen);
    freeaddrinfo(res);
    return true;
}

HostKey host_key(const sockaddr* a) {
    HostKey k{};
    if (a->sa_family == AF_INET) {
        k[10] = 0xff;
        k[11] = 0xff;
        std::memcpy(&k[12], &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, 4);
    } else if (a->sa_family == AF_INET6) {
        std::memcpy(k.data(), &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, 16);
    }
    return k;
}

bool same_host(const sockaddr* a, const sockaddr* b) {
    return host_key(a) == host_key(b);
}

bool same_endpoint(const sockaddr* a, const sockaddr* b) {
    if (!same_host(a, b)) return false;
    auto port_of = [](const sockaddr* s) -> uint16_t {
        if (s->sa_family == AF_INET) return reinterpret_cast<const sockaddr_in*>(s)->sin_port;
        if (s->sa_family == AF_INET6) return reinterpret_cast<const sockaddr_in6*>(s)->sin6_port;
        return 0;
    };
    return port_of(a) == port_of(b);
}

bool Cidr::matches(const HostKey& k) const {
    int full = prefix_bits / 8, rest = prefix_bits % 8;
    if (std::memcmp(k.data(), prefix.data(), static_cast<size_t>(full)) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (k[static_cast<size_t>(full)] & mask) == (prefix[static_cast<size_t>(full)] & mask);
}

bool parse_cidr(const std::string& text, Cidr* out, std::string* error) {
    std::string addr = text;
    int bits = -1;
    size_t slash = text.find('/');
    if (slash != std::string::npos) {
        addr = text.substr(0, slash);
        std::string b = text.substr(slash + 1);
        char* end = nullptr;
        long v = b.empty() ? -1 : std::strtol(b.c_str(), &end, 10);
        if (b.empty() || *end != '\0' || v < 0) {
            *error = "'" + text + "': the prefix length after '/' must be a number";
            return false;
        }
        bits = static_cast<int>(v);
    }
    Cidr c;
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
        if (bits < 0) bits = 32;
        if (bits > 32) {
            *error = "'" + text + "': an IPv4 prefix is at most /32";
            return false;
        }
        c.prefix[10] = c.prefix[11] = 0xff;
        std::memcpy(&c.prefix[12], &v4, 4);
        c.prefix_bits = 96 + bits;
    } else if (inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
        if (bits < 0) bits = 128;
        if (bits > 128) {
            *error = "'" + text + "': an IPv6 prefix is at most /128";
            return false;
        }
        std::memcpy(c.prefix.data(), &v6, 16);
        c.prefix_bits = bits;
    } else {
        *error = "'" + text + "' is not an address or network (e.g. \"192.0.2.0/24\", \"::1/128\")";
        return false;
    }
    *out = c;
    return true;
}

bool AllowList::allows(const sockaddr* source) const {
    HostKey k = host_key(source);
    for (const Cidr& c : entries_)
        if (c.matches(k)) return true;
    return false;
}

}  // namespace zzp::udp_echo
