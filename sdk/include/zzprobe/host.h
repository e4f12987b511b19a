/* zzprobe plugin ABI — the host table: what a plugin instance may call back into.
 *
 * The host passes one table per instance to zzp_plugin_library.create. The table and the
 * strings in it live until zzp_plugin.destroy returns. No host callbacks from inside create. */
#ifndef ZZPROBE_HOST_H
#define ZZPROBE_HOST_H

#include "sample.h"
#include "status.h"
#include "target.h"

ZZP_EXTERN_C_BEGIN

typedef enum zzp_log_level {
    ZZP_LOG_DEBUG = 0,
    ZZP_LOG_INFO = 1,
    ZZP_LOG_WARN = 2,
    ZZP_LOG_ERROR = 3
} zzp_log_level;

typedef struct zzp_host {
    uint32_t struct_size; /* sizeof(zzp_host) as the host knows it: check with ZZP_STRUCT_HAS */
    uint32_t reserved;
    void *host_data;         /* opaque, for the host */
    const char *instance_id; /* this instance's id from the config ("probe-1") */

    /* Log one line; the host prefixes plugin id, instance id, library path and generation, and
     * rate-limits repeats. `message` is copied. [thread-safe] */
    void (*log)(const struct zzp_host *host, int level, const char *message);

    /* Register a target (or find it again: same name and address give the same id) and return
     * its id, never 0 unless desc is invalid. Strings are copied. [thread-safe] */
    uint32_t (*intern_target)(const struct zzp_host *host, const zzp_target_desc *desc);

    /* Hand samples to the pipeline. The host copies them before returning. Only between start
     * and stop: calls outside that are ignored and logged. May block while a sink's queue is
     * full (backpressure, reported by the host); never drops. [thread-safe] */
    void (*emit)(const struct zzp_host *host, const zzp_sample *samples, uint32_t count);

    /* Wall clock, Unix ns. Tests may inject a clock; use it for what you record. [thread-safe] */
    int64_t (*wall_now_ns)(const struct zzp_host *host);

    /* Monotonic clock, ns (CLOCK_MONOTONIC unless injected). Deadlines use it. [thread-safe] */
    int64_t (*mono_now_ns)(const struct zzp_host *host);

    /* Ask the host to shut the pipeline down (e.g. the viewer window was closed). `reason` is
     * copied. Returns at once. [thread-safe] */
    void (*request_stop)(const struct zzp_host *host, const char *reason);

    /* Host extension by id: "zzp.frames/1" (host_frames.h), "zzp.handover/1" (state.h); NULL
     * when unknown to this host. The returned table lives as long as this host table.
     * [thread-safe] */
    const void *(*get_extension)(const struct zzp_host *host, const char *id);
} zzp_host;

ZZP_EXTERN_C_END

#endif
