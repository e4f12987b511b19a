#include "udp_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace zzp::stream {

std::optional<UdpAddress> parse_udp_address(std::string_view text, std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<UdpAddress> {
        if (error)
            *error = "'" + std::string(text) + "' is not a UDP endpoint (" + why +
                     "); write a numeric address and port such as \"127.0.0.1:7879\" or \"[::1]:7879\"";
        return std::nullopt;
    };
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("no port");
    std::string_view host = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
        return fail("bad port");
    UdpAddress out;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        std::string h(host.substr(1, host.size() - 2));
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) != 1) return fail("bad IPv6 address");
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(static_cast<uint16_t>(port));
        out.length = sizeof(sockaddr_in6);
        return out;
    }
    std::string h(host);
    auto* a4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    if (inet_pton(AF_INET, h.c_str(), &a4->sin_addr) != 1) return fail("bad IPv4 address; put IPv6 in brackets");
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in);
    return out;
}

bool is_loopback(const sockaddr* addr) {
    if (addr->sa_family == AF_INET) {
        uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
        return (ip >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
        if (IN6_IS_ADDR_V4MAPPED(&a)) return a.s6_addr[12] == 127;
    }
    return false;
}

std::string format_address(const sockaddr* addr) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (addr->sa_family == AF_INET) {
        auto* a4 = reinterpret_cast<const sockaddr_in*>(addr);
        inet_ntop(AF_INET, &a4->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(a4->sin_port));
    }
    if (addr->sa_family == AF_INET6) {
        auto* a6 = reinterpret_cast<const sockaddr_in6*>(addr);
        inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a6->sin6_port));
    }
    return "?";
}

bool same_address(const sockaddr* a, const sockaddr* b) {
    if (a->sa_family != b->sa_family) return false;
    if (a->sa_family == AF_INET) {
        auto* x = reinterpret_cast<const sockaddr_in*>(a);
        auto* y = reinterpret_cast<const sockaddr_in*>(b);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        auto* x = reinterpret_cast<const sockaddr_in6*>(a);
        auto* y = reinterpret_cast<const sockaddr_in6*>(b);
        return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

uint16_t address_port(const sockaddr* addr) {
    if (addr->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
    if (addr->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port);
    return 0;
}

}  // namespace zzp::stream
