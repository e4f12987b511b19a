/* zzprobe plugin ABI — the frame record: per target, per interval statistics.
 *
 * Data-plane record: fixed layout within ABI major 1 (covered by the ABI fingerprint).
 * The host builds frames from samples. An attempt belongs to the frame whose interval holds
 * its send time. A frame is published live (revision 0, 1, ...) when its interval ends and
 * once more with ZZP_FRAME_F_FINAL when every attempt in it has settled. Stored data is final. */
#ifndef ZZPROBE_FRAME_H
#define ZZPROBE_FRAME_H

#include "version.h"

ZZP_EXTERN_C_BEGIN

/* Indices into zzp_frame.rtt_ns: the quantiles the original tool used. */
typedef enum zzp_quantile {
    ZZP_Q_MIN = 0,   /* p0 */
    ZZP_Q_P12 = 1,   /* p12.5 */
    ZZP_Q_P25 = 2,   /* p25 */
    ZZP_Q_P50 = 3,   /* p50 */
    ZZP_Q_P75 = 4,   /* p75 */
    ZZP_Q_P87 = 5,   /* p87.5 */
    ZZP_Q_MAX = 6    /* p100 */
} zzp_quantile;

#define ZZP_QUANTILE_COUNT 7

/* Frame flags. */
#define ZZP_FRAME_F_FINAL 0x0001u     /* every attempt in the interval has settled */
#define ZZP_FRAME_F_FORCED 0x0002u    /* finalised by the host's settle deadline with attempts
                                         still unsettled (counted as lost) */

typedef struct zzp_frame {
    int64_t start_wall_ns;   /* Unix time of the interval start, ns, aligned to interval_ns */
    int64_t interval_ns;     /* interval length, ns */
    uint32_t target_id;      /* from zzp_host.intern_target */
    uint32_t revision;       /* 0 for the first publication, +1 for each later one */
    uint32_t flags;          /* ZZP_FRAME_F_* */
    uint32_t sent;           /* attempts sent in this interval (settled + pending) */
    uint32_t received;       /* settled REPLY */
    uint32_t lost;           /* settled LOST */
    uint32_t errors;         /* settled SEND_ERROR + NET_ERROR */
    uint32_t late;           /* LATE events for attempts of this interval */
    uint32_t duplicates;     /* DUPLICATE events for attempts of this interval */
    uint32_t reordered;      /* replies flagged REORDERED */
    uint32_t pending;        /* announced attempts not settled yet (0 when final) */
    uint32_t reserved;       /* zero */
    int64_t rtt_ns[ZZP_QUANTILE_COUNT]; /* quantiles of the replies' RTT, ns; -1 when received == 0.
                                           Rule: sorted v[0..n-1], pos = q*(n-1), linear
                                           interpolation between neighbours, rounded. */
    int64_t rtt_mean_ns;     /* mean RTT, ns; -1 when received == 0 */
    int64_t rtt_jitter_ns;   /* mean |rtt[i] - rtt[i-1]| over replies in sequence order; -1 when
                                received < 2 */
} zzp_frame;

ZZP_EXTERN_C_END

#endif
