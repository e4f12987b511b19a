#include "fake_descriptors.hpp"

#include <zzprobe/plugin.hpp>

namespace zzp::host::test {
namespace {

// icmp: a required list of strings, numbers, durations, a nested table and a list of tables.
constexpr zzp_config_key kIcmpRetryFields[] = {
    zzp::key("attempts", ZZP_CFG_INT, "3", "tries per target"),
    zzp::key("backoff", ZZP_CFG_DURATION, "\"50ms\"", "wait between tries"),
};
constexpr zzp_config_key kIcmpHostFields[] = {
    zzp::required_key("address", ZZP_CFG_STRING, "address to probe"),
    zzp::key("port", ZZP_CFG_INT, "7", "port (udp only)"),
    zzp::key("label", ZZP_CFG_STRING, "\"\"", "display name"),
};
constexpr zzp_config_key kIcmpKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr, "addresses to probe", ZZP_KEY_REQUIRED),
    zzp::key("rate", ZZP_CFG_FLOAT, "10", "echo requests per second per target"),
    zzp::key("timeout", ZZP_CFG_DURATION, "\"1s\"", "how long to wait for a reply"),
    zzp::key("payload_size", ZZP_CFG_SIZE, "56", "bytes of payload"),
    zzp::key("ttl", ZZP_CFG_INT, "64", "IP time to live"),
    zzp::key("timestamps", ZZP_CFG_BOOL, "true", "use kernel timestamps"),
    zzp::table_key("retry", kIcmpRetryFields, "retry policy"),
    zzp::table_list_key("hosts", kIcmpHostFields, "hosts with per-host settings"),
};

constexpr zzp_config_key kFileRotateFields[] = {
    zzp::key("size", ZZP_CFG_SIZE, "\"64MiB\"", "start a new file beyond this size"),
    zzp::key("every", ZZP_CFG_DURATION, "\"1h\"", "start a new file this often"),
};
constexpr zzp_config_key kFileKeys[] = {
    zzp::required_key("directory", ZZP_CFG_STRING, "where recordings go"),
    zzp::key("rotate_size", ZZP_CFG_SIZE, "\"64MiB\"", "start a new file beyond this size"),
    zzp::key("fsync_every", ZZP_CFG_DURATION, "\"1s\"", "how often data is made durable"),
    zzp::key("compress", ZZP_CFG_BOOL, "false", "zstd-compress closed files"),
    zzp::key("token", ZZP_CFG_STRING, "\"\"", "upload token", ZZP_KEY_SECRET),
    zzp::table_key("rotate", kFileRotateFields, "rotation policy"),
};

constexpr zzp_config_key kGlKeys[] = {
    zzp::key("window", ZZP_CFG_DURATION, "\"5m\"", "how much history is shown"),
    zzp::key("fps", ZZP_CFG_INT, "60", "frames per second"),
};

constexpr zzp_config_key kUdpKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr, "host:port to probe", ZZP_KEY_REQUIRED),
    zzp::key("rate", ZZP_CFG_FLOAT, "10", "requests per second"),
};

constexpr zzp_plugin_descriptor kIcmp =
    zzp::describe(ZZP_KIND_PROBE, "icmp", "ICMP echo probe", "1.0.0", "test double", kIcmpKeys, "");
constexpr zzp_plugin_descriptor kFile =
    zzp::describe(ZZP_KIND_SINK, "file", "File sink", "1.0.0", "test double", kFileKeys, "");
constexpr zzp_plugin_descriptor kGl =
    zzp::describe(ZZP_KIND_VIEWER, "gl", "GL viewer", "1.0.0", "test double", kGlKeys, "");
constexpr zzp_plugin_descriptor kUdp =
    zzp::describe(ZZP_KIND_PROBE, "udp-echo", "UDP echo probe", "1.0.0", "test double", kUdpKeys, "");

}  // namespace

const zzp_plugin_descriptor* fake_descriptor(std::string_view plugin_id) {
    for (const zzp_plugin_descriptor* d : {&kIcmp, &kFile, &kGl, &kUdp}) {
        if (plugin_id == d->id) return d;
    }
    return nullptr;
}

}  // namespace zzp::host::test
