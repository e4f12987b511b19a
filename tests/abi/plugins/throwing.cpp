// Defect: a C++ sink written without the SDK helper, whose functions let exceptions escape
// through the C ABI: configure throws std::runtime_error, start throws an int, write throws
// std::logic_error, durable_seq throws. The host must survive each and report ZZP_E_INTERNAL.
#include <zzprobe/zzprobe.h>

#include <stdexcept>
#include <string_view>

namespace {

zzp_status configure(const zzp_plugin*, const zzp_config*, zzp_error*) {
    throw std::runtime_error("configure exploded");
}
zzp_status start(const zzp_plugin*, zzp_error*) {
    throw 42;
}
zzp_status stop(const zzp_plugin*, int64_t, zzp_error*) {
    return ZZP_OK;
}
void destroy(const zzp_plugin*) {}
zzp_status write(const zzp_plugin*, const zzp_batch*, zzp_error*) {
    throw std::logic_error("write exploded");
}
uint64_t durable_seq(const zzp_plugin*) {
    throw std::runtime_error("durable_seq exploded");
}

const zzp_sink_ext sink_ext = {sizeof(zzp_sink_ext), ZZP_ACCEPT_SAMPLES, nullptr, write, nullptr, durable_seq};

const void* get_extension(const zzp_plugin*, const char* id) {
    return std::string_view(id) == ZZP_EXT_SINK ? &sink_ext : nullptr;
}

const zzp_plugin_descriptor descriptor = {sizeof(zzp_plugin_descriptor),
                                          ZZP_KIND_SINK,
                                          "abi-test.throwing",
                                          "Throwing sink",
                                          "1.0.0",
                                          "Throws through the C ABI.",
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          0,
                                          0,
                                          ""};
// One instance is enough for the tests; the table is static.
const zzp_plugin instance = {sizeof(zzp_plugin), 0, nullptr, &descriptor, configure, start, stop, destroy,
                             get_extension};

zzp_status init(const zzp_host_info*, zzp_error*) {
    return ZZP_OK;
}
void deinit() {}
uint32_t plugin_count() {
    return 1;
}
const zzp_plugin_descriptor* get_descriptor(uint32_t i) {
    return i == 0 ? &descriptor : nullptr;
}
const zzp_plugin* create(const char*, const zzp_host*, zzp_error*) {
    return &instance;
}

const zzp_plugin_library library = {sizeof(zzp_plugin_library),
                                    ZZP_ABI_MAJOR,
                                    ZZP_ABI_MINOR,
                                    0,
                                    ZZP_ABI_FINGERPRINT,
                                    "zzp-abi-throwing",
                                    "1.0.0",
                                    init,
                                    deinit,
                                    plugin_count,
                                    get_descriptor,
                                    create};

}  // namespace

extern "C" ZZP_EXPORT const zzp_plugin_library* zzp_plugin_entry_v1(void) {
    return &library;
}
