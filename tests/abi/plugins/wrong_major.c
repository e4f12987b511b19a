/* Defect: built for a future ABI major — exports only zzp_plugin_entry_v2. Its constructor
 * creates $ZZP_MARKER: the host must refuse it from the symbol table without ever mapping it. */
#include "c_plugin_kit.h"

__attribute__((constructor)) static void announce_loading(void) { kit_touch_marker(); }

static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.wrong-major");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptor, err);
}
static const zzp_plugin_library library = {KIT_LIBRARY_FIELDS("zzp-abi-wrong-major", get_descriptor, create)};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v2(void) { return &library; }
