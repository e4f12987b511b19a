/* Defect: a config schema key whose name is not made of [a-z0-9_-]. */
#include "c_plugin_kit.h"

static const zzp_config_key keys[] = {
    {"rate", ZZP_CFG_FLOAT, 0, "10", "requests per second", 0, 0, NULL},
    {"Rate Limit", ZZP_CFG_INT, 0, "5", "a key name with a space and capitals", 0, 0, NULL},
};
static const zzp_plugin_descriptor descriptor = {
    sizeof(zzp_plugin_descriptor), ZZP_KIND_PROBE, "abi-test.bad-schema", "Bad schema", "1.0.0", "", NULL, NULL,
    keys, 2, 0, ""};
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    return kit_new_instance(&descriptor, err);
}
static const zzp_plugin_library library = {KIT_LIBRARY_FIELDS("zzp-abi-bad-schema", get_descriptor, create)};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
