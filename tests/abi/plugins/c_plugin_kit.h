/* Building blocks for the defect test plugins written in C, so that each plugin controls its
 * tables byte for byte and differs from a correct plugin in exactly one way:
 *   kit_touch_marker()   creates the file named by $ZZP_MARKER (proves plugin code ran)
 *   kit_probe_*          a do-nothing probe instance
 *   KIT_LIBRARY_FIELDS   a correct zzp_plugin_library initializer body
 * Everything is static inline so unused pieces cost nothing and raise no warnings. */
#ifndef ZZP_TEST_C_PLUGIN_KIT_H
#define ZZP_TEST_C_PLUGIN_KIT_H

#include <zzprobe/zzprobe.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static inline void kit_touch_marker(void) {
    const char *path = getenv("ZZP_MARKER");
    if (path == NULL || path[0] == '\0') return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
}

static inline zzp_status kit_configure(const zzp_plugin *p, const zzp_config *c, zzp_error *e) {
    (void)p, (void)c, (void)e;
    return ZZP_OK;
}
static inline zzp_status kit_start(const zzp_plugin *p, zzp_error *e) {
    (void)p, (void)e;
    return ZZP_OK;
}
static inline zzp_status kit_stop(const zzp_plugin *p, int64_t deadline, zzp_error *e) {
    (void)p, (void)deadline, (void)e;
    return ZZP_OK;
}
static inline void kit_destroy(const zzp_plugin *p) { free(p->plugin_data); }
static inline const void *kit_no_extension(const zzp_plugin *p, const char *id) {
    (void)p, (void)id;
    return NULL;
}

/* A heap-allocated instance whose plugin_data points at itself (destroy frees it). */
static inline zzp_plugin *kit_new_instance(const zzp_plugin_descriptor *d, zzp_error *err) {
    zzp_plugin *p = (zzp_plugin *)calloc(1, sizeof(zzp_plugin));
    if (p == NULL) {
        zzp_error_set(err, NULL, "out of memory");
        return NULL;
    }
    p->struct_size = sizeof(zzp_plugin);
    p->plugin_data = p;
    p->descriptor = d;
    p->configure = kit_configure;
    p->start = kit_start;
    p->stop = kit_stop;
    p->destroy = kit_destroy;
    p->get_extension = kit_no_extension;
    return p;
}

static inline zzp_status kit_init(const zzp_host_info *host, zzp_error *err) {
    (void)host, (void)err;
    return ZZP_OK;
}
static inline void kit_deinit(void) {}
static inline uint32_t kit_one_plugin(void) { return 1; }

#define KIT_PROBE_DESCRIPTOR(id_string)                                                       \
    {sizeof(zzp_plugin_descriptor), ZZP_KIND_PROBE, id_string, "ABI test probe", "1.0.0",     \
     "A probe that does nothing, for loader tests.", NULL, NULL, NULL, 0, 0,                   \
     "[[probe]]\nid = \"t\"\nplugin = \"" id_string "\"\n"}

/* Body of a correct zzp_plugin_library initializer; `get_descriptor` and `create` are named by
 * the plugin. */
#define KIT_LIBRARY_FIELDS(lib_name, get_descriptor_fn, create_fn)                                \
    sizeof(zzp_plugin_library), ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0, ZZP_ABI_FINGERPRINT, lib_name, \
        "1.0.0", kit_init, kit_deinit, kit_one_plugin, get_descriptor_fn, create_fn

#endif
