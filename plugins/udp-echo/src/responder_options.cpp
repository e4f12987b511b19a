#include "responder_options.hpp"

#include <cmath>

#include "wire.hpp"

namespace zzp::udp_echo {

bool to_responder_config(const ResponderOptions& o, ResponderConfig* out, std::string* key, std::string* error) {
    ResponderConfig c;
    if (o.listen.empty()) {
        *key = "listen";
        *error = "'listen' needs at least one \"address:port\" (e.g. \"127.0.0.1:7790\")";
        return false;
    }
    for (size_t i = 0; i < o.listen.size(); ++i) {
        Endpoint e;
        if (!parse_endpoint(o.listen[i], /*resolve=*/false, &e, error, /*allow_port_zero=*/true)) {
            *key = "listen[" + std::to_string(i) + "]";
            return false;
        }
        c.listen.push_back(e);
    }
    for (size_t i = 0; i < o.allow.size(); ++i) {
        Cidr cidr;
        if (!parse_cidr(o.allow[i], &cidr, error)) {
            *key = "allow[" + std::to_string(i) + "]";
            return false;
        }
        c.allow.add(cidr);
    }
    if (!(o.rate_per_source >= 0) || !std::isfinite(o.rate_per_source)) {
        *key = "rate_per_source";
        *error = "'rate_per_source' must be 0 (unlimited) or a positive number of datagrams per second";
        return false;
    }
    if (!(o.burst >= 1) || o.burst > 1e6) {
        *key = "burst";
        *error = "'burst' must be from 1 to 1000000 datagrams";
        return false;
    }
    if (o.max_request < kHeaderSize || o.max_request > kMaxDatagram) {
        *key = "max_request";
        *error = "'max_request' must be from 56 to 65507 bytes";
        return false;
    }
    if (o.hold_ns < 0 || o.hold_ns > 10000000000) {
        *key = "hold";
        *error = "'hold' must be from 0 to 10s";
        return false;
    }
    if (o.report_interval_ns < 0) {
        *key = "report_interval";
        *error = "'report_interval' must be 0 (never) or a positive duration";
        return false;
    }
    c.rate_per_source = o.rate_per_source;
    c.burst = o.burst;
    c.max_request = static_cast<size_t>(o.max_request);
    c.hold_ns = o.hold_ns;
    c.report_interval_ns = o.report_interval_ns;
    *out = std::move(c);
    return true;
}

}  // namespace zzp::udp_echo
