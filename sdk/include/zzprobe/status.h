/* zzprobe plugin ABI — status codes and the host-owned error buffer. */
#ifndef ZZPROBE_STATUS_H
#define ZZPROBE_STATUS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "version.h"

ZZP_EXTERN_C_BEGIN

/* Every fallible call returns one of these. Values are stable across minors. */
typedef enum zzp_status {
    ZZP_OK = 0,
    ZZP_E_INVALID = 1,     /* an argument or a record is malformed */
    ZZP_E_CONFIG = 2,      /* the configuration is wrong; zzp_error.key names the key */
    ZZP_E_IO = 3,          /* file, socket or device error; message says which path */
    ZZP_E_RETRY = 4,       /* transient: nothing was consumed, call again later with the same data */
    ZZP_E_UNSUPPORTED = 5, /* not offered (also: init refuses the host's ABI version) */
    ZZP_E_STATE = 6,       /* called in the wrong lifecycle state */
    ZZP_E_INTERNAL = 7,    /* a bug in the plugin (the C++ helper maps exceptions here) */
    ZZP_E_NOT_FOUND = 8    /* a config key or extension that does not exist */
} zzp_status;

#define ZZP_ERROR_KEY_MAX 256
#define ZZP_ERROR_MESSAGE_MAX 1024

/* Host-owned error buffer passed to fallible calls. The plugin fills it (truncating) when it
 * returns a status other than ZZP_OK; it never frees or keeps it past the call.
 * `key` is the config key path at fault ("targets[2]", "rotate.size") or empty. */
typedef struct zzp_error {
    uint32_t struct_size; /* sizeof(zzp_error) as the host knows it */
    uint32_t reserved;    /* zero */
    char key[ZZP_ERROR_KEY_MAX];
    char message[ZZP_ERROR_MESSAGE_MAX];
} zzp_error;

/* Fill an error buffer: key (may be NULL) and a printf-style message. Always terminates. */
static inline void zzp_error_set(zzp_error *err, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline void zzp_error_set(zzp_error *err, const char *key, const char *fmt, ...) {
    va_list ap;
    if (err == NULL) return;
    if (key != NULL) {
        strncpy(err->key, key, ZZP_ERROR_KEY_MAX - 1);
        err->key[ZZP_ERROR_KEY_MAX - 1] = '\0';
    } else {
        err->key[0] = '\0';
    }
    va_start(ap, fmt);
    vsnprintf(err->message, ZZP_ERROR_MESSAGE_MAX, fmt, ap);
    va_end(ap);
}

/* Short stable name of a status ("ok", "retry", ...), for logs. Never NULL. */
static inline const char *zzp_status_name(zzp_status s) {
    switch (s) {
    case ZZP_OK: return "ok";
    case ZZP_E_INVALID: return "invalid";
    case ZZP_E_CONFIG: return "config";
    case ZZP_E_IO: return "io";
    case ZZP_E_RETRY: return "retry";
    case ZZP_E_UNSUPPORTED: return "unsupported";
    case ZZP_E_STATE: return "wrong-state";
    case ZZP_E_INTERNAL: return "internal";
    case ZZP_E_NOT_FOUND: return "not-found";
    }
    return "unknown";
}

ZZP_EXTERN_C_END

#endif
