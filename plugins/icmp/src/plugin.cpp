// The library entry: the icmp probe's descriptor and config schema.
#include <zzp_sample_config.h>

#include "probe.hpp"

namespace {

const zzp_config_key kKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr,
                  "IPv4/IPv6 literals or host names to ping (names are re-resolved every resolve_interval)",
                  ZZP_KEY_REQUIRED),
    zzp::key("rate", ZZP_CFG_FLOAT, "10", "echo requests per second per target, 0.1 to 1000"),
    zzp::key("payload_size", ZZP_CFG_SIZE, "56", "ICMP data bytes after the 8-byte header, 32 to 65000"),
    zzp::key("timeout", ZZP_CFG_DURATION, "\"1s\"",
             "an attempt without a reply after this counts as lost; later replies are LATE"),
    zzp::key("ttl", ZZP_CFG_INT, "0", "IPv4 TTL / IPv6 hop limit, 1 to 255; 0 keeps the system default"),
    zzp::key("dscp", ZZP_CFG_INT, "0", "DSCP code point (0 to 63) for the requests"),
    zzp::key("source", ZZP_CFG_STRING, "\"\"", "source address to send from; empty: the kernel chooses"),
    zzp::key("interface", ZZP_CFG_STRING, "\"\"", "network device to send through (SO_BINDTODEVICE); empty: any"),
    zzp::key("socket_mode", ZZP_CFG_STRING, "\"auto\"",
             "\"auto\" (unprivileged datagram socket, else raw), \"dgram\" or \"raw\""),
    zzp::key("family", ZZP_CFG_STRING, "\"any\"", "address family host names resolve to: \"any\", \"ipv4\", \"ipv6\""),
    zzp::key("resolve_interval", ZZP_CFG_DURATION, "\"5m\"", "how often host names are resolved again"),
    zzp::key("sender_priority", ZZP_CFG_INT, "0",
             "0: normal scheduling; 1 to 99: real-time (SCHED_FIFO) priority for the sender thread, for precise "
             "send times on a busy machine (needs CAP_SYS_NICE or RLIMIT_RTPRIO; else a warning)"),
    zzp::key("transmit_timestamps", ZZP_CFG_BOOL, "true",
             "start each RTT at the kernel's transmit timestamp of the request (while sends are at most 20 ms "
             "apart) instead of the clock read before the send call; false saves a few us of CPU per echo"),
};

const zzp_plugin_descriptor kDescriptor =
    zzp::describe(ZZP_KIND_PROBE, "icmp", "ICMP echo probe", "1.0.0",
                  "Pings IPv4/IPv6 targets at a precise, phase-spread rate with unprivileged ICMP sockets (or raw "
                  "sockets with CAP_NET_RAW), using kernel receive timestamps; reports replies, losses, late and "
                  "duplicate replies, send failures and ICMP errors as samples.",
                  kKeys, zzp_sample_config);

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-icmp", "1.0.0", zzp::entry<zzp::icmp::IcmpProbe>(kDescriptor))
