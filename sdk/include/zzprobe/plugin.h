/* zzprobe plugin ABI — plugin descriptors and the instance lifecycle.
 *
 * Lifecycle of an instance: create -> configure -> start -> stop(deadline) -> destroy, each
 * [main] and never concurrent. Probe threads exist only between start and stop; stop joins
 * them, and nothing of the instance runs after stop returns. */
#ifndef ZZPROBE_PLUGIN_H
#define ZZPROBE_PLUGIN_H

#include "config.h"
#include "status.h"

ZZP_EXTERN_C_BEGIN

typedef enum zzp_plugin_kind {
    ZZP_KIND_PROBE = 1,  /* produces samples through zzp_host.emit */
    ZZP_KIND_SINK = 2,   /* consumes samples and/or frames through "zzp.sink/1"; never loses */
    ZZP_KIND_VIEWER = 3  /* consumes frames through "zzp.sink/1"; the host may drop for it */
} zzp_plugin_kind;

/* Static description of one plugin a library offers. Plugin-owned, valid until deinit. */
typedef struct zzp_plugin_descriptor {
    uint32_t struct_size;
    uint32_t kind;               /* zzp_plugin_kind */
    const char *id;              /* unique: "icmp", "file"; third parties use "org.example.probe" */
    const char *name;            /* human name: "ICMP echo probe" */
    const char *version;         /* the plugin's own version, semver: "1.2.0" */
    const char *description;     /* one paragraph */
    const char *vendor;          /* may be NULL */
    const char *url;             /* may be NULL */
    const zzp_config_key *config_keys; /* the schema of the instance's TOML table */
    uint32_t config_key_count;
    uint32_t reserved;
    const char *sample_config;   /* TOML text of a working example (the plugin's sample.toml) */
} zzp_plugin_descriptor;

/* One instance. Plugin-owned from create until destroy returns. */
typedef struct zzp_plugin {
    uint32_t struct_size;
    uint32_t reserved;
    void *plugin_data;                       /* opaque, for the plugin */
    const zzp_plugin_descriptor *descriptor; /* the descriptor it was created from */

    /* Apply the validated config. Called once, before start. On failure fill err (with the
     * key at fault) and return ZZP_E_CONFIG. [main] */
    zzp_status (*configure)(const struct zzp_plugin *plugin, const zzp_config *config, zzp_error *err);

    /* Begin work: a probe starts its threads and emits; a sink opens its outputs. [main] */
    zzp_status (*start)(const struct zzp_plugin *plugin, zzp_error *err);

    /* Stop: a probe stops sending, settles or times out what is in flight, emits the result,
     * joins its threads; a sink flushes. Return by deadline_mono_ns (zzp_host.mono_now_ns
     * clock); the host reports a missed deadline. [main] */
    zzp_status (*stop)(const struct zzp_plugin *plugin, int64_t deadline_mono_ns, zzp_error *err);

    /* Free the instance. After it returns, the host frees the host table. [main] */
    void (*destroy)(const struct zzp_plugin *plugin);

    /* Extension table by id ("zzp.sink/1", "zzp.state/1", or reverse-DNS for third parties);
     * NULL when not offered. The table lives until destroy. [thread-safe] */
    const void *(*get_extension)(const struct zzp_plugin *plugin, const char *id);
} zzp_plugin;

ZZP_EXTERN_C_END

#endif
