/* Defect: calls a function no library defines. Linked without -z defs (which would have caught
 * it), so the failure shows up at dlopen with RTLD_NOW; the host reports the dlerror text. */
#include "c_plugin_kit.h"

void zzp_test_function_nobody_defines(void);

static zzp_status init(const zzp_host_info *host, zzp_error *err) {
    (void)host, (void)err;
    zzp_test_function_nobody_defines();
    return ZZP_OK;
}
static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.unresolved");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptor, err);
}
static const zzp_plugin_library library = {sizeof(zzp_plugin_library), ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0,
                                           ZZP_ABI_FINGERPRINT, "zzp-abi-unresolved", "1.0.0", init, kit_deinit,
                                           kit_one_plugin, get_descriptor, create};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
