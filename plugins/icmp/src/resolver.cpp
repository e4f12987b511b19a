#include "resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

namespace zzp::icmp {
namespace {

bool from_addrinfo(const addrinfo* ai, ResolvedAddress* out) {
    if (ai == nullptr || ai->ai_addrlen > sizeof out->address) return false;
    std::memset(&out->address, 0, sizeof out->address);
    std::memcpy(&out->address, ai->ai_addr, ai->ai_addrlen);
    out->length = ai->ai_addrlen;
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = ai->ai_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr);
    inet_ntop(ai->ai_family, raw, text, sizeof text);
    out->text = text;
    return true;
}

bool lookup(const std::string& target, int flags, int family, ResolvedAddress* out, int* gai_error) {
    addrinfo hints{};
    hints.ai_flags = flags;
    hints.ai_family = family;
    hints.ai_socktype = SOCK_RAW;
    addrinfo* result = nullptr;
    *gai_error = getaddrinfo(target.c_str(), nullptr, &hints, &result);
    if (*gai_error != 0) return false;
    bool ok = from_addrinfo(result, out);
    freeaddrinfo(result);
    return ok;
}

}  // namespace

bool parse_literal(const std::string& target, ResolvedAddress* out) {
    int gai_error = 0;
    return lookup(target, AI_NUMERICHOST, AF_UNSPEC, out, &gai_error);
}

bool resolve_name(const std::string& name, Family family, ResolvedAddress* out, std::string* error) {
    int af = family == Family::kIpv4 ? AF_INET : family == Family::kIpv6 ? AF_INET6 : AF_UNSPEC;
    int gai_error = 0;
    if (lookup(name, AI_ADDRCONFIG, af, out, &gai_error)) return true;
    *error = gai_strerror(gai_error);
    return false;
}

bool same_address(const sockaddr_storage& a, const sockaddr* b) {
    if (b == nullptr || a.ss_family != b->sa_family) return false;
    if (a.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
}

bool same_raw_address(const sockaddr_storage& a, const uint8_t* raw, int family) {
    if (raw == nullptr || a.ss_family != family) return false;
    if (family == AF_INET) return std::memcmp(&reinterpret_cast<const sockaddr_in&>(a).sin_addr, raw, 4) == 0;
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, raw, 16) == 0;
}

}  // namespace zzp::icmp
