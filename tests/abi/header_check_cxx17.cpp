// Compiled as strict C++17 with -Wall -Wextra -pedantic -Werror (see CMakeLists.txt): the C
// headers and the header-only helper must be valid, warning-free C++17. A small sink written
// with the helper instantiates its templates; the instance tests wrap it in-process.
#include <zzprobe/zzprobe.h>

#include <zzprobe/plugin.hpp>

uint64_t zzp_header_check_cxx17_fingerprint();
const zzp_plugin* zzp_header_check_cxx17_create_sink(const zzp_host* host, zzp_error* err);

namespace {

// Takes samples; says RETRY for a batch with seq 7 (a transient failure); remembers a count.
class CheckSink : public zzp::Sink, public zzp::Stateful {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES | ZZP_ACCEPT_FRAMES_FINAL; }
    void configure(const zzp::Config& c) override { limit_ = c.integer("limit"); }
    zzp_status write(const zzp_batch& batch) override {
        if (batch.seq == 7) return ZZP_E_RETRY;
        if (static_cast<int64_t>(taken_ + batch.count) > limit_) throw zzp::Error(ZZP_E_IO, "limit reached");
        taken_ += batch.count;
        return ZZP_OK;
    }
    uint32_t state_format() const override { return 2; }
    std::string save_state() override {
        zzp::StateWriter w;
        w.u64(taken_);
        return w.bytes();
    }
    void load_state(uint32_t, const std::string& bytes) override { taken_ = zzp::StateReader(bytes).u64(); }

private:
    int64_t limit_ = 0;
    uint64_t taken_ = 0;
};

const zzp_config_key kKeys[] = {zzp::required_key("limit", ZZP_CFG_INT, "most samples to take")};
const zzp_plugin_descriptor kDescriptor = zzp::describe(ZZP_KIND_SINK, "abi-test.cxx17-sink", "C++17 check sink",
                                                        "1.0.0", "Counts samples up to a limit.", kKeys, "");
const zzp::PluginEntry kEntry = zzp::entry<CheckSink>(kDescriptor);

}  // namespace

uint64_t zzp_header_check_cxx17_fingerprint() {
    return ZZP_ABI_FINGERPRINT;
}

const zzp_plugin* zzp_header_check_cxx17_create_sink(const zzp_host* host, zzp_error* err) {
    return zzp::detail::create_instance(kEntry, host, err);
}
