// Host extensions a plugin instance looks up through zzp_host.get_extension; today one,
// "zzp.frames/1" (sdk/include/zzprobe/host_frames.h): a probe publishes frames itself, e.g. the
// udp-stream-source relay republishing another host's live stream. Routing is the pipeline's
// (Pipeline::publish_frames in pipeline_frames.cpp); this file holds the C table and the checks
// shared by every HostServices.
#pragma once

namespace zzp::host {

class HostServices;

// The extension table for `id`, or nullptr when `services` does not offer it. [thread-safe]
const void* host_extension(const HostServices* services, const char* id);

}  // namespace zzp::host
