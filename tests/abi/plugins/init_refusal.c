/* Defect (for this host): init refuses the host's ABI minor with its own message. Every later
 * library function creates $ZZP_MARKER, so a host that activates the library anyway (asks for
 * descriptors, creates, calls deinit) is caught. */
#include "c_plugin_kit.h"

#define REFUSAL "zzp-abi-init-refusal needs zzprobe ABI 1.7 or later"

static zzp_status init(const zzp_host_info *host, zzp_error *err) {
    (void)host;
    zzp_error_set(err, NULL, "%s", REFUSAL);
    return ZZP_E_UNSUPPORTED;
}
static void deinit(void) { kit_touch_marker(); }
static uint32_t plugin_count(void) {
    kit_touch_marker();
    return 1;
}
static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.init-refusal");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) {
    kit_touch_marker();
    return i == 0 ? &descriptor : NULL;
}
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    kit_touch_marker();
    return kit_new_instance(&descriptor, err);
}
static const zzp_plugin_library library = {sizeof(zzp_plugin_library), ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0,
                                           ZZP_ABI_FINGERPRINT, "zzp-abi-init-refusal", "1.0.0", init, deinit,
                                           plugin_count, get_descriptor, create};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
