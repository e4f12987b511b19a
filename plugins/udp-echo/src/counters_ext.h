/* udp-echo plugin extension "org.zzprobe.udp-echo.counters/1": read an instance's counters
 * (what was sent, answered, refused and why) as name/value pairs. Offered by both the probe and
 * the responder; used by tests and tools. Not part of the zzprobe ABI. */
#ifndef ZZP_UDP_ECHO_COUNTERS_EXT_H
#define ZZP_UDP_ECHO_COUNTERS_EXT_H

#include <stdint.h>

#define ZZP_UDP_ECHO_EXT_COUNTERS "org.zzprobe.udp-echo.counters/1"

typedef struct zzp_udp_echo_counters_ext {
    uint32_t struct_size;
    uint32_t reserved;
    const void* self; /* pass back to read */
    /* Fill up to `max` pairs; returns how many counters exist. [thread-safe] */
    uint32_t (*read)(const void* self, const char** names, uint64_t* values, uint32_t max);
} zzp_udp_echo_counters_ext;

#endif
