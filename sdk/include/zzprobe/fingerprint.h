/* zzprobe plugin ABI — the ABI fingerprint and the static layout checks of data-plane records.
 *
 * ZZP_ABI_FINGERPRINT mixes the sizes and member offsets of the records that cross the data
 * plane without a struct_size (zzp_sample, zzp_frame, zzp_batch), the pointer width and the
 * byte order. A library stores it in zzp_plugin_library.abi_fingerprint; the host refuses a
 * library whose value differs from its own (header skew inside one major). */
#ifndef ZZPROBE_FINGERPRINT_H
#define ZZPROBE_FINGERPRINT_H

#include "batch.h"

/* FNV-1a style mixing, a constant expression in C11 and C++17. */
#define ZZP__FP_MIX(h, v) ((((uint64_t)(h)) ^ (uint64_t)(v)) * 0x100000001b3ull)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ZZP__FP_ENDIAN 2u
#else
#define ZZP__FP_ENDIAN 1u
#endif

#define ZZP__FP_SAMPLE(h)                                                                       \
    ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(        \
        ZZP__FP_MIX(h, sizeof(zzp_sample)), offsetof(zzp_sample, seq)),                        \
        offsetof(zzp_sample, sent_wall_ns)), offsetof(zzp_sample, rtt_ns)),                   \
        offsetof(zzp_sample, target_id)), offsetof(zzp_sample, status)),                      \
        offsetof(zzp_sample, flags)), offsetof(zzp_sample, detail))

#define ZZP__FP_FRAME(h)                                                                        \
    ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(        \
        ZZP__FP_MIX(h, sizeof(zzp_frame)), offsetof(zzp_frame, interval_ns)),                  \
        offsetof(zzp_frame, target_id)), offsetof(zzp_frame, flags)),                         \
        offsetof(zzp_frame, sent)), offsetof(zzp_frame, pending)),                            \
        offsetof(zzp_frame, rtt_ns)), offsetof(zzp_frame, rtt_jitter_ns))

#define ZZP__FP_BATCH(h)                                                                        \
    ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(                                \
        h, sizeof(zzp_batch)), offsetof(zzp_batch, kind)), offsetof(zzp_batch, count)),        \
        offsetof(zzp_batch, samples)), offsetof(zzp_batch, frames))

#define ZZP_ABI_FINGERPRINT                                                                     \
    ZZP__FP_BATCH(ZZP__FP_FRAME(ZZP__FP_SAMPLE(ZZP__FP_MIX(ZZP__FP_MIX(ZZP__FP_MIX(            \
        0xcbf29ce484222325ull, ZZP_ABI_MAJOR), sizeof(void *)), ZZP__FP_ENDIAN))))

/* The documented layout (docs/PLUGIN_ABI.md, "Data-plane records"), checked at compile time in
 * every translation unit that includes this header. Pointers are 8 bytes on the supported
 * 64-bit targets; 32-bit builds get their own fingerprint and skip the pointer checks. */
#ifdef __cplusplus
#define ZZP__STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define ZZP__STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

ZZP__STATIC_ASSERT(sizeof(zzp_sample) == 40, "zzp_sample is 40 bytes");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, seq) == 0, "zzp_sample.seq at 0");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, sent_wall_ns) == 8, "zzp_sample.sent_wall_ns at 8");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, rtt_ns) == 16, "zzp_sample.rtt_ns at 16");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, target_id) == 24, "zzp_sample.target_id at 24");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, status) == 28, "zzp_sample.status at 28");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, flags) == 30, "zzp_sample.flags at 30");
ZZP__STATIC_ASSERT(offsetof(zzp_sample, detail) == 32, "zzp_sample.detail at 32");
ZZP__STATIC_ASSERT(sizeof(zzp_frame) == 136, "zzp_frame is 136 bytes");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, target_id) == 16, "zzp_frame.target_id at 16");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, sent) == 28, "zzp_frame.sent at 28");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, pending) == 56, "zzp_frame.pending at 56");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, rtt_ns) == 64, "zzp_frame.rtt_ns at 64");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, rtt_mean_ns) == 120, "zzp_frame.rtt_mean_ns at 120");
ZZP__STATIC_ASSERT(offsetof(zzp_frame, rtt_jitter_ns) == 128, "zzp_frame.rtt_jitter_ns at 128");
#if UINTPTR_MAX == 0xffffffffffffffffull
ZZP__STATIC_ASSERT(sizeof(zzp_batch) == 32, "zzp_batch is 32 bytes on 64-bit");
ZZP__STATIC_ASSERT(offsetof(zzp_batch, samples) == 16, "zzp_batch.samples at 16");
ZZP__STATIC_ASSERT(offsetof(zzp_batch, frames) == 24, "zzp_batch.frames at 24");
#endif

#endif
