/* udp-stream sink — optional extension "org.zzprobe.udp-stream.stats/1" (C, ABI-safe).
 *
 * Counters of one udp-stream sink instance, for tests, benchmarks and a future control
 * command. Obtain the table with zzp_plugin.get_extension(plugin, ZZP_UDP_STREAM_STATS_EXT). */
#ifndef ZZP_UDP_STREAM_STATS_H
#define ZZP_UDP_STREAM_STATS_H

#include <zzprobe/plugin.h>

ZZP_EXTERN_C_BEGIN

#define ZZP_UDP_STREAM_STATS_EXT "org.zzprobe.udp-stream.stats/1"

typedef struct zzp_udp_stream_stats {
    uint32_t struct_size;
    uint16_t bound_port;  /* the UDP port the sink listens on (useful with port 0) */
    uint16_t reserved;
    uint32_t subscribers; /* current subscribers */
    uint32_t reserved2;
    uint64_t subscribes_accepted;
    uint64_t subscribes_refused_full;   /* max_subscribers reached */
    uint64_t subscribers_expired;       /* no keepalive within subscriber_timeout */
    uint64_t subscribers_unsubscribed;
    uint64_t subscribers_dropped_behind; /* stopped acknowledging while data piled up */
    uint64_t datagrams_received;
    uint64_t datagrams_sent;
    uint64_t history_datagrams_sent;
    uint64_t retransmits;
    uint64_t send_errors;
    /* Dropped incoming datagrams, by reason. */
    uint64_t dropped_malformed;       /* not a valid message, or over 1200 bytes */
    uint64_t dropped_version;         /* another protocol version */
    uint64_t dropped_unauthenticated; /* no tag although a secret is set (or a tag without one) */
    uint64_t dropped_bad_mac;         /* tag does not verify: wrong secret or tampered */
    uint64_t dropped_replayed;        /* counter already seen, or a closed session's subscribe */
    uint64_t dropped_stale;           /* subscribe timestamp outside replay_window */
    uint64_t dropped_unknown_session;
    uint64_t dropped_wrong_peer;      /* session used from another address */
    uint64_t history_frames;          /* frames currently retained for newcomers */
    uint64_t history_bytes;           /* their encoded size */
} zzp_udp_stream_stats;

typedef struct zzp_udp_stream_stats_ext {
    uint32_t struct_size;
    uint32_t reserved;
    /* Fill `out` (out->struct_size set by the caller; never written past it). [thread-safe] */
    void (*get)(const zzp_plugin *plugin, zzp_udp_stream_stats *out);
} zzp_udp_stream_stats_ext;

ZZP_EXTERN_C_END

#endif
