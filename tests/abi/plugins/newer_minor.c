/* A newer minor: the library table is longer than this host's zzp_plugin_library (two members
 * appended by a hypothetical ABI 1.1). Built twice: with ZZP_TEST_DIRTY_TAIL=1 the appended
 * members are set (the host must refuse, naming both sizes); with 0 they are zero (accepted). */
#include "c_plugin_kit.h"

#ifndef ZZP_TEST_DIRTY_TAIL
#error "define ZZP_TEST_DIRTY_TAIL to 0 or 1"
#endif

typedef struct library_v1_1 {
    zzp_plugin_library base;
    uint64_t future_flags;
    void (*future_function)(void);
} library_v1_1;

static void future_function(void) { abort(); }

static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.newer-minor");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptor, err);
}
static const library_v1_1 library = {
    {sizeof(library_v1_1), ZZP_ABI_MAJOR, ZZP_ABI_MINOR + 1, 0, ZZP_ABI_FINGERPRINT, "zzp-abi-newer-minor", "1.1.0",
     kit_init, kit_deinit, kit_one_plugin, get_descriptor, create},
#if ZZP_TEST_DIRTY_TAIL
    0x1,
    future_function,
#else
    0,
    NULL,
#endif
};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) {
    (void)future_function;
    return &library.base;
}
