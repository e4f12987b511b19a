/* zzprobe plugin SDK, ABI v1 — everything a plugin written in C needs. One concept per header:
 *   version.h     ABI major/minor, ZZP_STRUCT_HAS, ZZP_EXPORT
 *   status.h      zzp_status, zzp_error
 *   sample.h      zzp_sample (one echo attempt or event)
 *   frame.h       zzp_frame (per target, per interval statistics)
 *   batch.h       zzp_batch (host-owned records handed to sinks)
 *   target.h      zzp_target_desc, zzp_target_info
 *   config.h      zzp_config_key (schema), zzp_config (validated values)
 *   stream.h      zzp_ostream, zzp_istream
 *   host.h        zzp_host (callbacks into the host)
 *   host_frames.h "zzp.frames/1" (host extension: a probe publishes frames itself)
 *   plugin.h      zzp_plugin_descriptor, zzp_plugin (lifecycle)
 *   entry.h       zzp_plugin_library, zzp_plugin_entry_v1
 *   sink.h        "zzp.sink/1"
 *   state.h       "zzp.state/1"
 *   viewer.h      "zzp.viewer/1"
 *   fingerprint.h ZZP_ABI_FINGERPRINT and layout checks
 * C++ plugins may use the header-only helper <zzprobe/plugin.hpp> instead. */
#ifndef ZZPROBE_ZZPROBE_H
#define ZZPROBE_ZZPROBE_H

#include "batch.h"
#include "config.h"
#include "entry.h"
#include "fingerprint.h"
#include "frame.h"
#include "host.h"
#include "host_frames.h"
#include "plugin.h"
#include "sample.h"
#include "sink.h"
#include "state.h"
#include "status.h"
#include "stream.h"
#include "target.h"
#include "version.h"
#include "viewer.h"

#endif
