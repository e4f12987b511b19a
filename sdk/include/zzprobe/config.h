/* zzprobe plugin ABI — config schema (what a plugin declares) and config access (what the host
 * hands to zzp_plugin.configure).
 *
 * The host validates the plugin's TOML table against the declared schema before any plugin
 * call: unknown key, wrong type and missing required key are reported with file:line:column
 * and the plugin id, and defaults are filled in. The plugin then reads validated values. */
#ifndef ZZPROBE_CONFIG_H
#define ZZPROBE_CONFIG_H

#include "status.h"

ZZP_EXTERN_C_BEGIN

typedef enum zzp_config_type {
    ZZP_CFG_STRING = 1,
    ZZP_CFG_INT = 2,      /* TOML integer */
    ZZP_CFG_FLOAT = 3,    /* TOML float or integer */
    ZZP_CFG_BOOL = 4,
    ZZP_CFG_DURATION = 5, /* string with a unit: "250us", "100ms", "1.5s", "10m", "1h", "7d" */
    ZZP_CFG_SIZE = 6,     /* integer bytes or string with a unit: "512KiB", "64MiB", "1GB" */
    ZZP_CFG_LIST = 7,     /* array; elements of element_type (TABLE elements use `fields`) */
    ZZP_CFG_TABLE = 8     /* table with the keys in `fields` */
} zzp_config_type;

/* Key flags. */
#define ZZP_KEY_REQUIRED 0x0001u   /* must be present; `default_value` is ignored */
#define ZZP_KEY_SWAP_FIXED 0x0002u /* may not change across a hot swap (e.g. a directory) */
#define ZZP_KEY_SECRET 0x0004u     /* never printed back (e.g. a token) */

/* One key of a plugin's config schema. A plugin's schema is a static array of these, owned by
 * the plugin and valid until its library's deinit. */
typedef struct zzp_config_key {
    const char *key;                    /* name within its table, [a-z0-9_-] */
    uint32_t type;                      /* zzp_config_type */
    uint32_t flags;                     /* ZZP_KEY_* */
    const char *default_value;          /* TOML literal ("10", "\"1s\"", "[]") or NULL: no default */
    const char *doc;                    /* one line for `zzprobe plugins ID` */
    uint32_t element_type;              /* for ZZP_CFG_LIST: element zzp_config_type, else 0 */
    uint32_t field_count;               /* for TABLE (or LIST of TABLE): entries in `fields` */
    const struct zzp_config_key *fields; /* for TABLE (or LIST of TABLE), else NULL */
} zzp_config_key;

/* Read access to one instance's validated config, defaults applied. Host-owned; valid during
 * zzp_plugin.configure only, as is every string it returns. Paths name keys within the
 * instance's table: "rate", "rotate.size", "targets[2]", "targets[2].port".
 * Each getter returns ZZP_OK, ZZP_E_NOT_FOUND (absent and no default) or ZZP_E_INVALID (the
 * value has another type). All are [main]. */
typedef struct zzp_config {
    uint32_t struct_size;
    uint32_t reserved;
    void *host_data; /* opaque, for the host */
    /* the file the value came from, for messages; valid during configure */
    const char *source_path;
    /* string value; *out lives until configure returns */
    zzp_status (*get_string)(const struct zzp_config *cfg, const char *path, const char **out);
    zzp_status (*get_int)(const struct zzp_config *cfg, const char *path, int64_t *out);
    zzp_status (*get_float)(const struct zzp_config *cfg, const char *path, double *out);
    zzp_status (*get_bool)(const struct zzp_config *cfg, const char *path, int *out);
    /* duration in nanoseconds */
    zzp_status (*get_duration)(const struct zzp_config *cfg, const char *path, int64_t *out_ns);
    /* size in bytes */
    zzp_status (*get_size)(const struct zzp_config *cfg, const char *path, uint64_t *out_bytes);
    /* number of elements of a list; ZZP_E_NOT_FOUND when absent, ZZP_E_INVALID when not a list */
    zzp_status (*get_length)(const struct zzp_config *cfg, const char *path, uint64_t *out);
} zzp_config;

ZZP_EXTERN_C_END

#endif
