/* zzprobe plugin ABI — viewers.
 *
 * A viewer (kind ZZP_KIND_VIEWER) takes frames through the sink extension ("zzp.sink/1",
 * accepts ZZP_ACCEPT_FRAMES_LIVE and/or ZZP_ACCEPT_FRAMES_FINAL). Unlike a sink, the host gives
 * it a lossy queue: when the viewer falls behind the oldest frames are dropped and counted, and
 * the optional extension below tells the viewer how many. A viewer renders on its own thread
 * (created in start, joined in stop) and calls zzp_host.request_stop when its window closes. */
#ifndef ZZPROBE_VIEWER_H
#define ZZPROBE_VIEWER_H

#include "plugin.h"

ZZP_EXTERN_C_BEGIN

#define ZZP_EXT_VIEWER "zzp.viewer/1"

typedef struct zzp_viewer_ext {
    uint32_t struct_size;
    uint32_t reserved;
    /* The host dropped `count` frames for this viewer since the last call. [pipeline] */
    void (*frames_dropped)(const zzp_plugin *plugin, uint64_t count);
} zzp_viewer_ext;

ZZP_EXTERN_C_END

#endif
