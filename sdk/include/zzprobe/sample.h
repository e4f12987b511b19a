/* zzprobe plugin ABI — the sample record: one echo attempt, or an event about one.
 *
 * Data-plane record: fixed layout within ABI major 1 (covered by the ABI fingerprint, sizes
 * and offsets static-asserted in fingerprint.h, documented in docs/PLUGIN_ABI.md).
 *
 * Life of one attempt as a probe reports it through zzp_host.emit:
 *   - optionally ZZP_SAMPLE_SENT when the request leaves (lets frames count it as pending);
 *   - exactly one settling record: REPLY, LOST, SEND_ERROR or NET_ERROR;
 *   - any number of later events: DUPLICATE (another reply to a replied attempt) or LATE (a
 *     reply to an attempt already settled as LOST).
 * SENT announcements feed the frame builder only; sinks that take samples get the others. */
#ifndef ZZPROBE_SAMPLE_H
#define ZZPROBE_SAMPLE_H

#include "version.h"

ZZP_EXTERN_C_BEGIN

typedef enum zzp_sample_status {
    ZZP_SAMPLE_SENT = 0,       /* announcement: the request left, no outcome yet */
    ZZP_SAMPLE_REPLY = 1,      /* settled: a valid reply arrived before the timeout; rtt_ns set */
    ZZP_SAMPLE_LOST = 2,       /* settled: no reply before the timeout */
    ZZP_SAMPLE_SEND_ERROR = 3, /* settled: the send failed; detail = errno */
    ZZP_SAMPLE_NET_ERROR = 4,  /* settled: the network answered with an error (ICMP unreachable,
                                  time exceeded); detail = (icmp type << 8) | code */
    ZZP_SAMPLE_LATE = 5,       /* event: reply after the timeout to an attempt settled LOST; rtt_ns set */
    ZZP_SAMPLE_DUPLICATE = 6   /* event: another reply to an attempt already replied; rtt_ns set */
} zzp_sample_status;

#define ZZP_SAMPLE_STATUS_COUNT 7

/* Flags on a sample. */
#define ZZP_SAMPLE_F_REORDERED 0x0001u /* the reply arrived after a reply to a later sequence */
#define ZZP_SAMPLE_F_KERNEL_TS 0x0002u /* rtt_ns comes from kernel timestamps */
#define ZZP_SAMPLE_F_REMOTE_CORRECTED 0x0004u /* the responder's own delay was subtracted */

typedef struct zzp_sample {
    uint64_t seq;          /* per-target attempt sequence, increasing; 64-bit so it never wraps */
    int64_t sent_wall_ns;  /* Unix time the request was sent, ns (CLOCK_REALTIME) */
    int64_t rtt_ns;        /* round-trip time, ns, for REPLY/LATE/DUPLICATE; -1 otherwise */
    uint32_t target_id;    /* from zzp_host.intern_target; 0 is never a valid id */
    uint16_t status;       /* zzp_sample_status */
    uint16_t flags;        /* ZZP_SAMPLE_F_* */
    uint32_t detail;       /* errno for SEND_ERROR, (type << 8) | code for NET_ERROR, else 0 */
    uint32_t reserved;     /* zero */
} zzp_sample;

/* True for the four statuses that settle an attempt. */
static inline int zzp_sample_settles(uint16_t status) {
    return status >= ZZP_SAMPLE_REPLY && status <= ZZP_SAMPLE_NET_ERROR;
}

ZZP_EXTERN_C_END

#endif
