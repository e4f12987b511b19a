/* zzprobe plugin ABI — byte streams the host provides (state hand-over during a hot swap). */
#ifndef ZZPROBE_STREAM_H
#define ZZPROBE_STREAM_H

#include "status.h"

ZZP_EXTERN_C_BEGIN

/* A host-owned output stream, valid for the call it is passed to. */
typedef struct zzp_ostream {
    uint32_t struct_size;
    uint32_t reserved;
    void *host_data;
    /* Append `size` bytes (copied). ZZP_OK or ZZP_E_IO. [main] */
    zzp_status (*write)(const struct zzp_ostream *s, const void *data, uint64_t size);
} zzp_ostream;

/* A host-owned input stream, valid for the call it is passed to. */
typedef struct zzp_istream {
    uint32_t struct_size;
    uint32_t reserved;
    void *host_data;
    /* Read up to `size` bytes into `buffer`; returns the count, 0 at the end, < 0 on error. [main] */
    int64_t (*read)(const struct zzp_istream *s, void *buffer, uint64_t size);
} zzp_istream;

ZZP_EXTERN_C_END

#endif
