/* zzprobe plugin ABI — the sink extension "zzp.sink/1": consume batches of samples or frames.
 *
 * Sinks and viewers offer it. The host calls each instance from one dispatcher thread, one
 * call at a time ([pipeline]). For sinks, batches stay in the host's bounded queue until the
 * sink reports them durable, so nothing is lost across a retry, a crash of the call or a hot
 * swap. For viewers the host may drop frames when the viewer falls behind. */
#ifndef ZZPROBE_SINK_H
#define ZZPROBE_SINK_H

#include "batch.h"
#include "plugin.h"
#include "target.h"

ZZP_EXTERN_C_BEGIN

#define ZZP_EXT_SINK "zzp.sink/1"

/* What a sink wants, or-ed into zzp_sink_ext.accepts. */
#define ZZP_ACCEPT_SAMPLES 0x0001u      /* settled samples and events (no SENT announcements) */
#define ZZP_ACCEPT_FRAMES_FINAL 0x0002u /* frames with ZZP_FRAME_F_FINAL */
#define ZZP_ACCEPT_FRAMES_LIVE 0x0004u  /* frames published before they are final */

typedef struct zzp_sink_ext {
    uint32_t struct_size;
    uint32_t accepts; /* ZZP_ACCEPT_*; the host reads it after configure, so it may depend on
                         the config (e.g. a recorder that stores raw samples only when asked) */

    /* A target is known: called before the first batch that carries its id, and again if its
     * address changes. `target` lives for the call. [pipeline] */
    zzp_status (*on_target)(const zzp_plugin *plugin, const zzp_target_info *target, zzp_error *err);

    /* Take one batch (host-owned, valid for the call). ZZP_OK: taken. ZZP_E_RETRY: not taken,
     * the host calls again later with the same batch. Any other status: the host logs err,
     * keeps the batch and retries with back-off. [pipeline] */
    zzp_status (*write)(const zzp_plugin *plugin, const zzp_batch *batch, zzp_error *err);

    /* Make everything taken so far durable (fsync, send). [pipeline] */
    zzp_status (*flush)(const zzp_plugin *plugin, zzp_error *err);

    /* The highest batch seq that is durable (0 = none). The host frees batches up to it.
     * A sink that keeps nothing returns the last seq it took. [pipeline] */
    uint64_t (*durable_seq)(const zzp_plugin *plugin);
} zzp_sink_ext;

ZZP_EXTERN_C_END

#endif
