/* zzprobe plugin ABI — the library's single exported entry point and its table.
 *
 * A plugin library exports exactly one function per ABI major it supports, for major 1:
 *     const zzp_plugin_library *zzp_plugin_entry_v1(void);
 * The host finds it by listing the library's symbols before loading it, so a library for
 * another major is refused with no plugin code run. The entry must do nothing but return a
 * pointer to a static table. */
#ifndef ZZPROBE_ENTRY_H
#define ZZPROBE_ENTRY_H

#include "host.h"
#include "plugin.h"

ZZP_EXTERN_C_BEGIN

/* What the host tells a library in init: its ABI version, for negotiation. Host-owned, valid
 * during init. */
typedef struct zzp_host_info {
    uint32_t struct_size;
    uint32_t abi_major;        /* always 1 for zzp_plugin_entry_v1 */
    uint32_t abi_minor;        /* the highest minor the host implements */
    uint32_t reserved;
    const char *host_name;     /* "zzprobe" */
    const char *host_version;  /* "0.1.0" */
} zzp_host_info;

/* The library table. Plugin-owned, static, valid while the library is loaded. */
typedef struct zzp_plugin_library {
    uint32_t struct_size;      /* sizeof(zzp_plugin_library) as the plugin was built */
    uint32_t abi_major;        /* ZZP_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;        /* ZZP_ABI_MINOR the plugin was built with */
    uint32_t reserved;
    uint64_t abi_fingerprint;  /* ZZP_ABI_FINGERPRINT the plugin was built with (fingerprint.h) */
    const char *name;          /* library name: "zzp-icmp" */
    const char *version;       /* library version, semver */

    /* Negotiate: return ZZP_OK to accept the host, or ZZP_E_UNSUPPORTED with a message saying
     * what it needs. First call into the library after the entry. Nothing is activated on a
     * refusal and deinit is not called. [main] */
    zzp_status (*init)(const zzp_host_info *host, zzp_error *err);

    /* Last call before unloading; every instance has been destroyed. [main] */
    void (*deinit)(void);

    /* Number of plugins the library offers. [main] */
    uint32_t (*plugin_count)(void);

    /* Descriptor of plugin `index` (< plugin_count), NULL otherwise. Plugin-owned, valid until
     * deinit. [main] */
    const zzp_plugin_descriptor *(*get_descriptor)(uint32_t index);

    /* Create an instance of plugin `plugin_id` that will use `host` (valid until destroy
     * returns; do not call it from inside create). NULL with err filled on failure. [main] */
    const zzp_plugin *(*create)(const char *plugin_id, const zzp_host *host, zzp_error *err);
} zzp_plugin_library;

/* The signature of the entry function. */
typedef const zzp_plugin_library *(*zzp_plugin_entry_fn)(void);

ZZP_EXTERN_C_END

#endif
