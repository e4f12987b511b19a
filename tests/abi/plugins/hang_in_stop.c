/* Defect: stop sleeps far past any deadline (30 s). The host's stop call must return near the
 * deadline, abandon the instance and keep the library mapped. */
#include "c_plugin_kit.h"

#include <time.h>

static zzp_status hanging_stop(const zzp_plugin *p, int64_t deadline, zzp_error *e) {
    (void)p, (void)deadline, (void)e;
    struct timespec remaining = {30, 0};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &remaining, &remaining) != 0) {
    }
    return ZZP_OK;
}

static const zzp_plugin_descriptor descriptor = KIT_PROBE_DESCRIPTOR("abi-test.hang-in-stop");
static const zzp_plugin_descriptor *get_descriptor(uint32_t i) { return i == 0 ? &descriptor : NULL; }
static const zzp_plugin *create(const char *id, const zzp_host *host, zzp_error *err) {
    (void)id, (void)host;
    zzp_plugin *p = kit_new_instance(&descriptor, err);
    if (p) p->stop = hanging_stop;
    return p;
}
static const zzp_plugin_library library = {KIT_LIBRARY_FIELDS("zzp-abi-hang-in-stop", get_descriptor, create)};

ZZP_EXPORT const zzp_plugin_library *zzp_plugin_entry_v1(void) { return &library; }
