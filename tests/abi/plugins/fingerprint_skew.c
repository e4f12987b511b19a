/* Defect: header skew inside major 1 — the table carries a fingerprint that differs from the
 * host's (as if zzp_sample had been reordered). The host refuses it before init; init would
 * create $ZZP_MARKER. */
#include "c_plugin_kit.h"

#define SKEWED_FINGERPRINT (ZZP_ABI_FINGERPRINT ^ 0x5a5aull)

static zzp_status init(const zzp_host_info *host, zzp_error *err) {
    (void)host, (void)err;
    kit_touch_marker();
    return ZZP_OK;
}
static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.skew");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptor, err);
}
static const zzp_plugin_library library = {sizeof(zzp_plugin_library), ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0,
                                           SKEWED_FINGERPRINT, "zzp-abi-skew", "1.0.0", init, kit_deinit,
                                           kit_one_plugin, get_descriptor, create};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
