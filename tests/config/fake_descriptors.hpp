// Plugin descriptors defined in the test, standing in for real plugins: their schemas cover
// every key type, nested tables and lists of tables. The corpus uses their ids.
#pragma once

#include <zzprobe/plugin.h>

#include <string_view>

namespace zzp::host::test {

// "icmp" probe, "file" sink, "gl" viewer, "udp-echo" probe (a second probe kind for graphs).
const zzp_plugin_descriptor* fake_descriptor(std::string_view plugin_id);

}  // namespace zzp::host::test
