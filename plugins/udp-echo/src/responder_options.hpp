// The responder's user-facing options, shared by the "udp-echo-responder" plugin (TOML keys) and
// the zzprobe-udp-responder executable (command line), with the same defaults and checks.
#pragma once

#include <string>
#include <vector>

#include "responder.hpp"

namespace zzp::udp_echo {

inline constexpr int kDefaultResponderPort = 7790;

struct ResponderOptions {
    std::vector<std::string> listen{"127.0.0.1:7790", "[::1]:7790"};
    std::vector<std::string> allow{"127.0.0.0/8", "::1/128"};  // loopback only unless told
    double rate_per_source = 2000;
    double burst = 200;
    uint64_t max_request = 9000;
    int64_t hold_ns = 0;
    int64_t report_interval_ns = 300000000000;  // 5 min
};

// Checks and converts. On failure returns false with *key (the option at fault, e.g.
// "allow[1]") and *error (what is wrong and what to write).
bool to_responder_config(const ResponderOptions& o, ResponderConfig* out, std::string* key, std::string* error);

}  // namespace zzp::udp_echo
