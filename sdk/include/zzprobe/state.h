/* zzprobe plugin ABI — the state extension "zzp.state/1": hand state to a successor during a
 * hot swap (a sink's file and offset and last batch seq, a probe's sequence counters).
 *
 * Order in a swap: the host checks successor->accepts_format(old format) before stopping the
 * old instance (a mismatch refuses the swap with the old one untouched), stops the old one,
 * calls old save, then successor load (configured, not started), then starts the successor. */
#ifndef ZZPROBE_STATE_H
#define ZZPROBE_STATE_H

#include "host.h"
#include "plugin.h"
#include "stream.h"

ZZP_EXTERN_C_BEGIN

#define ZZP_EXT_STATE "zzp.state/1"

typedef struct zzp_state_ext {
    uint32_t struct_size;
    uint32_t format; /* the state format number save writes */

    /* Whether load understands `format`. Called on a configured, not started instance. [main] */
    int (*accepts_format)(const zzp_plugin *plugin, uint32_t format);

    /* Write the state. Called after stop returned. [main] */
    zzp_status (*save)(const zzp_plugin *plugin, const zzp_ostream *out, zzp_error *err);

    /* Read a predecessor's state written in `format`. Called after configure, before start. [main] */
    zzp_status (*load)(const zzp_plugin *plugin, uint32_t format, const zzp_istream *in, zzp_error *err);
} zzp_state_ext;

/* Host extension "zzp.handover/1" (host->get_extension; NULL from a host without it). A hot swap
 * stops the running instance only to hand its state to a successor; this tells that stop (and
 * the flush right before it) from a final one, so the instance may leave to the successor what
 * the successor continues instead of finishing it: a recorder keeps its file open without a
 * footer and leaves the sync of its last records to the successor, which reports them durable
 * once it synced them. What was reported durable must stay durable. Everything else about the
 * order (docs/HOT_SWAP.md) is unchanged; an instance that ignores this extension is correct. */
#define ZZP_HOST_EXT_HANDOVER "zzp.handover/1"

typedef struct zzp_handover_ext {
    uint32_t struct_size;
    /* Nonzero while the host flushes and stops this instance for a hand-over, until its save
     * returned (also during a rollback, when the failed successor hands back). [thread-safe] */
    int (*handing_over)(const struct zzp_host *host);
} zzp_handover_ext;

ZZP_EXTERN_C_END

#endif
