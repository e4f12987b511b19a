// The two plugins of the zzp-udp-echo library, created by the descriptors in library.cpp.
#pragma once

#include <zzprobe/plugin.hpp>

namespace zzp::udp_echo {

zzp::Plugin* make_probe_plugin();      // "udp-echo"
zzp::Plugin* make_responder_plugin();  // "udp-echo-responder"

}  // namespace zzp::udp_echo
