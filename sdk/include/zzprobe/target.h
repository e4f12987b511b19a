/* zzprobe plugin ABI — targets: what a probe measures, interned by the host to a small id. */
#ifndef ZZPROBE_TARGET_H
#define ZZPROBE_TARGET_H

#include "version.h"

ZZP_EXTERN_C_BEGIN

/* What a probe tells the host about a target (zzp_host.intern_target). Strings are copied. */
typedef struct zzp_target_desc {
    uint32_t struct_size; /* sizeof(zzp_target_desc) */
    uint32_t reserved;    /* zero */
    const char *name;     /* as the user configured it: "router", "example.org", "::1" */
    const char *address;  /* the resolved numeric address: "192.0.2.1", "::1", "[::1]:7" */
} zzp_target_desc;

/* What the host tells sinks and viewers about a target (zzp_sink_ext.on_target).
 * Strings are host-owned and live until the call returns. */
typedef struct zzp_target_info {
    uint32_t struct_size;     /* sizeof(zzp_target_info) */
    uint32_t id;              /* the id samples and frames carry */
    const char *name;         /* as configured */
    const char *address;      /* resolved numeric address */
    const char *method;       /* the probe plugin id: "icmp", "udp-echo", ... */
    const char *probe;        /* the probe instance id from the config */
    int64_t interval_ns;      /* the frame interval the host builds frames with */
} zzp_target_info;

ZZP_EXTERN_C_END

#endif
