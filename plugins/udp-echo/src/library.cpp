// The zzp-udp-echo library: schemas and descriptors of its two plugins, and the entry symbol.
#include <zzp_sample_config.h>

#include "plugins.hpp"

namespace {

using zzp::key;

const zzp_config_key kProbeKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr,
                  "echo servers as \"host:port\" or \"[v6]:port\"; names are resolved once at start", ZZP_KEY_REQUIRED),
    key("rate", ZZP_CFG_FLOAT, "10", "requests per second per target (at most 10000)"),
    key("payload_size", ZZP_CFG_SIZE, "64", "UDP payload bytes per request, 56 (the header) to 65507"),
    key("timeout", ZZP_CFG_DURATION, "\"1s\"", "a request without a reply after this is LOST"),
    key("dscp", ZZP_CFG_INT, "0", "DiffServ code point 0-63 for the requests (46 = EF)"),
    key("stamp", ZZP_CFG_BOOL, "true",
        "ask the responder to stamp its own delay so it is subtracted (plain echo servers ignore it)"),
};

const zzp_config_key kResponderKeys[] = {
    zzp::list_key("listen", ZZP_CFG_STRING, "[\"127.0.0.1:7790\", \"[::1]:7790\"]",
                  "addresses to answer on, \"address:port\"", ZZP_KEY_SWAP_FIXED),
    zzp::list_key("allow", ZZP_CFG_STRING, "[\"127.0.0.0/8\", \"::1/128\"]",
                  "source networks (CIDR, IPv4 and IPv6) that get answers; everyone else is refused"),
    key("rate_per_source", ZZP_CFG_FLOAT, "2000", "answers per second per source address; 0 = unlimited"),
    key("burst", ZZP_CFG_INT, "200", "token bucket depth per source, in datagrams"),
    key("max_request", ZZP_CFG_SIZE, "9000", "larger requests are refused"),
    key("report_interval", ZZP_CFG_DURATION, "\"5m\"", "log the counters this often; \"0s\" = only at stop"),
    key("hold", ZZP_CFG_DURATION, "\"0s\"",
        "benchmarks only: answer each request this long after it arrived (stamped, so it is subtracted)"),
};

const zzp_plugin_descriptor kProbeDescriptor = zzp::describe(
    ZZP_KIND_PROBE, "udp-echo", "UDP echo probe", "0.1.0",
    "Sends UDP echo requests (magic, run nonce, sequence, send time) to echo servers at a steady rate and "
    "reports each as REPLY with its RTT (kernel timestamps; the responder's own delay subtracted when it "
    "stamps), LOST, SEND_ERROR or NET_ERROR (ICMP unreachable), plus LATE and DUPLICATE events. Works with "
    "any RFC 862 echo service and with the bundled responder.",
    kProbeKeys, zzp_sample_config);

const zzp_plugin_descriptor kResponderDescriptor =
    zzp::describe(ZZP_KIND_PROBE, "udp-echo-responder", "UDP echo responder", "0.1.0",
                  "Answers udp-echo requests on the far host: only from allowed networks, never with more bytes than "
                  "the request, rate-limited per source, stamping its own receive and send times on request. Emits no "
                  "samples; logs its counters (answered, refused per reason). The same engine runs standalone as "
                  "zzprobe-udp-responder.",
                  kResponderKeys, zzp_sample_config);

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-udp-echo", "0.1.0", (zzp::PluginEntry{&kProbeDescriptor, &zzp::udp_echo::make_probe_plugin}),
                   (zzp::PluginEntry{&kResponderDescriptor, &zzp::udp_echo::make_responder_plugin}))
