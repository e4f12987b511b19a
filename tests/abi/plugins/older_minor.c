/* An older minor: its instance table ends before get_extension (struct_size says so), and the
 * memory where get_extension would be holds a function that aborts the process. The host must
 * zero-extend the short table and never call past struct_size. */
#include "c_plugin_kit.h"

#include <stddef.h>

static const void *must_never_be_called(const zzp_plugin *p, const char *id) {
    (void)p, (void)id;
    abort();
}

static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.older-minor");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    zzp_plugin *p = kit_new_instance(&descriptor, err);
    if (p == NULL) return NULL;
    p->struct_size = (uint32_t)offsetof(zzp_plugin, get_extension);
    p->get_extension = must_never_be_called;
    return p;
}
static const zzp_plugin_library library = {KIT_LIBRARY_FIELDS("zzp-abi-older-minor", get_descriptor, create)};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
