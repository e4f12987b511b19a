/* zzprobe plugin ABI — a batch of records handed to a sink or viewer.
 *
 * Data-plane record (covered by the ABI fingerprint). Batches are host-owned and valid only
 * during the call they are passed to; a sink copies what it keeps. */
#ifndef ZZPROBE_BATCH_H
#define ZZPROBE_BATCH_H

#include "frame.h"
#include "sample.h"

ZZP_EXTERN_C_BEGIN

typedef enum zzp_batch_kind {
    ZZP_BATCH_SAMPLES = 1, /* `samples` points at `count` settled samples and events */
    ZZP_BATCH_FRAMES = 2   /* `frames` points at `count` frames (live or final, see flags) */
} zzp_batch_kind;

typedef struct zzp_batch {
    uint64_t seq;               /* per sink instance, starts at 1, +1 per batch, and continues
                                   across hot swaps: a successor skips seq <= what it restored */
    uint32_t kind;              /* zzp_batch_kind */
    uint32_t count;             /* number of records, >= 1 */
    const zzp_sample *samples;  /* for ZZP_BATCH_SAMPLES, else NULL */
    const zzp_frame *frames;    /* for ZZP_BATCH_FRAMES, else NULL */
} zzp_batch;

ZZP_EXTERN_C_END

#endif
