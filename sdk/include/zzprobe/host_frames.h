/* zzprobe plugin ABI — the host extension "zzp.frames/1": a probe publishes frames itself.
 *
 * Most probes emit samples and let the host build frames. A probe whose data already are frames
 * (a relay republishing another zzprobe's live stream, an importer of recorded frames) publishes
 * them through this table instead; the host routes them exactly like the frames it builds: to
 * the sinks and viewers whose inputs name the probe, FINAL frames to ACCEPT_FRAMES_FINAL, every
 * revision to ACCEPT_FRAMES_LIVE. Such frames never pass through the host's frame builder.
 *
 * Lookup: zzp_host.get_extension(host, ZZP_HOST_EXT_FRAMES) from configure or later (not from
 * create); NULL from a host that does not offer it: fail start with ZZP_E_UNSUPPORTED then.
 * The table lives as long as the host table. Introduced with ABI 1.0 hosts of zzprobe 0.1; an
 * extension is looked up by id, so a host without it is simply an older host. */
#ifndef ZZPROBE_HOST_FRAMES_H
#define ZZPROBE_HOST_FRAMES_H

#include "frame.h"
#include "host.h"
#include "status.h"

ZZP_EXTERN_C_BEGIN

#define ZZP_HOST_EXT_FRAMES "zzp.frames/1"

typedef struct zzp_host_frames_ext {
    uint32_t struct_size; /* sizeof(zzp_host_frames_ext) as the host knows it (ZZP_STRUCT_HAS) */
    uint32_t reserved;

    /* Publish `count` frames (caller-owned; the host copies them before returning). Each frame's
     * target_id must come from this instance's intern_target, interval_ns must be > 0 and
     * reserved 0; revisions and FINAL follow the usual rules (zzp_frame: live 0, 1, ... then
     * one FINAL; stored data is final) — the host passes them on as given and does not merge.
     * Only between start and stop, like emit. May block while a sink's queue is full
     * (backpressure); never drops for sinks (viewers' queues stay lossy).
     * Returns ZZP_OK when every frame was taken; ZZP_E_INVALID when some were refused (the
     * others were still published; err says how many and why, and the host counts them);
     * ZZP_E_STATE outside start..stop (nothing published). `err` may be NULL. [thread-safe] */
    zzp_status (*publish_frames)(const zzp_host *host, const zzp_frame *frames, uint32_t count, zzp_error *err);
} zzp_host_frames_ext;

ZZP_EXTERN_C_END

#endif
