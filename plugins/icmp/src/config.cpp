#include "config.hpp"

#include <arpa/inet.h>

#include <cmath>
#include <cstdio>
#include <set>

#include "resolver.hpp"

namespace zzp::icmp {
namespace {

bool present(const zzp::Config& c, const char* key) {
    return c.has(key);
}

std::string format_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string describe_targets_rule() {
    return "each target must be an IPv4 or IPv6 literal (\"127.0.0.1\", \"::1\") or a host name";
}

void check_target(const std::string& target, const std::string& key) {
    if (target.empty()) throw config_error(key, "'" + key + "' is empty: " + describe_targets_rule());
    ResolvedAddress literal;
    if (parse_literal(target, &literal)) return;
    // Something that looks like a literal but is not one is a typo, never a name to look up.
    bool digits_and_dots = target.find_first_not_of("0123456789.") == std::string::npos;
    if (digits_and_dots || target.find(':') != std::string::npos)
        throw config_error(key, "'" + key + "' = \"" + target + "\" is not a valid IPv4 or IPv6 address");
    if (!is_valid_host_name(target))
        throw config_error(key, "'" + key + "' = \"" + target + "\" is neither an address nor a valid host name; " +
                                    describe_targets_rule());
}

}  // namespace

bool is_valid_host_name(const std::string& text) {
    if (text.empty() || text.size() > 253) return false;
    size_t label = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        if (ch == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok || ++label > 63) return false;
    }
    return true;
}

IcmpConfig parse_config(const zzp::Config& c) {
    IcmpConfig out;
    if (!present(c, "targets")) throw config_error("targets", "missing key 'targets': list at least one target");
    out.targets = c.strings("targets");
    if (out.targets.empty())
        throw config_error("targets", "'targets' is empty: list at least one target, e.g. [\"127.0.0.1\"]");
    std::set<std::string> seen;
    for (size_t i = 0; i < out.targets.size(); ++i) {
        std::string key = "targets[" + std::to_string(i) + "]";
        check_target(out.targets[i], key);
        if (!seen.insert(out.targets[i]).second)
            throw config_error(key, "target \"" + out.targets[i] + "\" is listed twice; list each target once");
    }

    if (present(c, "rate")) out.rate_per_target = c.number("rate");
    if (!(out.rate_per_target >= kMinRate && out.rate_per_target <= kMaxRate))
        throw config_error("rate", "'rate' = " + format_number(out.rate_per_target) +
                                       " is out of range: give 0.1 to 1000 echo requests per second per target");

    if (present(c, "payload_size")) {
        uint64_t size = c.size("payload_size");
        if (size < kMinPayloadSize || size > kMaxPayloadSize)
            throw config_error("payload_size", "'payload_size' = " + std::to_string(size) + " is out of range: give " +
                                                   std::to_string(kMinPayloadSize) + " to " +
                                                   std::to_string(kMaxPayloadSize) + " bytes");
        out.payload_size = static_cast<uint32_t>(size);
    }

    if (present(c, "timeout")) out.timeout_ns = c.duration("timeout").count();
    if (out.timeout_ns < 1'000'000 || out.timeout_ns > 60'000'000'000)
        throw config_error("timeout", "'timeout' is out of range: give 1ms to 60s, e.g. \"1s\"");

    if (present(c, "ttl")) out.ttl = static_cast<int>(c.integer("ttl"));
    if (out.ttl < 0 || out.ttl > 255)
        throw config_error("ttl",
                           "'ttl' = " + std::to_string(out.ttl) + " is out of range: 1 to 255, 0 = system default");

    if (present(c, "dscp")) out.dscp = static_cast<int>(c.integer("dscp"));
    if (out.dscp < 0 || out.dscp > 63)
        throw config_error("dscp", "'dscp' = " + std::to_string(out.dscp) + " is out of range: 0 to 63");

    out.source = c.string_or("source", "");
    if (!out.source.empty()) {
        in_addr v4{};
        in6_addr v6{};
        if (inet_pton(AF_INET, out.source.c_str(), &v4) != 1 && inet_pton(AF_INET6, out.source.c_str(), &v6) != 1)
            throw config_error("source", "'source' = \"" + out.source +
                                             "\" is not an IPv4 or IPv6 address; use 'interface' to name a device");
    }
    out.interface = c.string_or("interface", "");
    if (out.interface.size() >= 16)
        throw config_error("interface", "'interface' = \"" + out.interface + "\" is longer than 15 characters");

    std::string mode = c.string_or("socket_mode", "auto");
    if (mode == "auto")
        out.socket_mode = SocketMode::kAuto;
    else if (mode == "dgram")
        out.socket_mode = SocketMode::kDgram;
    else if (mode == "raw")
        out.socket_mode = SocketMode::kRaw;
    else
        throw config_error("socket_mode",
                           "'socket_mode' = \"" + mode + "\" is unknown: use \"auto\", \"dgram\" or \"raw\"");

    std::string family = c.string_or("family", "any");
    if (family == "any")
        out.family = Family::kAny;
    else if (family == "ipv4")
        out.family = Family::kIpv4;
    else if (family == "ipv6")
        out.family = Family::kIpv6;
    else
        throw config_error("family", "'family' = \"" + family + "\" is unknown: use \"any\", \"ipv4\" or \"ipv6\"");

    if (present(c, "resolve_interval")) out.resolve_interval_ns = c.duration("resolve_interval").count();
    if (out.resolve_interval_ns < 1'000'000'000)
        throw config_error("resolve_interval", "'resolve_interval' is too short: give at least \"1s\"");
    if (present(c, "sender_priority")) out.sender_priority = static_cast<int>(c.integer("sender_priority"));
    if (out.sender_priority < 0 || out.sender_priority > 99)
        throw config_error("sender_priority", "'sender_priority' = " + std::to_string(out.sender_priority) +
                                                  " is out of range: 0 (normal) or 1 to 99 (SCHED_FIFO)");
    if (present(c, "transmit_timestamps")) out.transmit_timestamps = c.boolean("transmit_timestamps");
    return out;
}

}  // namespace zzp::icmp
