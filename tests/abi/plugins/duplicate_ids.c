/* Defect: one library offers two plugins with the same id. */
#include "c_plugin_kit.h"

static const zzp_plugin_descriptor descriptors[2] = {KIT_PROBE_DESCRIPTOR("abi-test.twice"),
                                                     KIT_PROBE_DESCRIPTOR("abi-test.twice")};
static uint32_t plugin_count(void) { return 2; }
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i < 2 ? &descriptors[i] : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptors[0], err);
}
static const zzp_plugin_library library = {sizeof(zzp_plugin_library), ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0,
                                           ZZP_ABI_FINGERPRINT, "zzp-abi-duplicate-ids", "1.0.0", kit_init,
                                           kit_deinit, plugin_count, get_descriptor, create};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
