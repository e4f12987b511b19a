// A correct library built with the SDK's C++ helper: one probe and one sink (with the state
// extension). The loader tests load, use and unload it; the catalog tests find its ids.
#include <thread>
#include <zzprobe/plugin.hpp>

namespace {

// Emits one sample per start, from a thread that stop() joins (the ABI's thread rule).
class GoodProbe : public zzp::Plugin {
public:
    void configure(const zzp::Config& c) override { target_ = c.string_or("target", "127.0.0.1"); }
    void start() override {
        uint32_t id = host().intern_target(target_, target_);
        worker_ = std::thread([this, id] {
            zzp_sample s{};
            s.seq = 1;
            s.sent_wall_ns = host().wall_now_ns();
            s.rtt_ns = 1000;
            s.target_id = id;
            s.status = ZZP_SAMPLE_REPLY;
            host().emit(&s, 1);
        });
    }
    void stop(int64_t) override {
        if (worker_.joinable()) worker_.join();
    }

private:
    std::string target_;
    std::thread worker_;
};

// Counts what it takes; hands the count to a successor.
class GoodSink : public zzp::Sink, public zzp::Stateful {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES; }
    zzp_status write(const zzp_batch& batch) override {
        if (batch.kind != ZZP_BATCH_SAMPLES) throw zzp::Error(ZZP_E_INVALID, "expected samples");
        taken_ += batch.count;
        return ZZP_OK;
    }
    uint32_t state_format() const override { return 3; }
    std::string save_state() override {
        zzp::StateWriter w;
        w.u64(taken_);
        return w.bytes();
    }
    void load_state(uint32_t, const std::string& bytes) override {
        zzp::StateReader r(bytes);
        taken_ = r.u64();
    }

private:
    uint64_t taken_ = 0;
};

const zzp_config_key kProbeKeys[] = {
    zzp::key("target", ZZP_CFG_STRING, "\"127.0.0.1\"", "address to probe (loopback only in tests)"),
};
const zzp_config_key kSinkKeys[] = {
    zzp::key("label", ZZP_CFG_STRING, "\"x\"", "a label"),
};
const zzp_plugin_descriptor kProbe =
    zzp::describe(ZZP_KIND_PROBE, "abi-test.good-probe", "ABI test probe", "1.0.0", "Emits one sample per start.",
                  kProbeKeys, "[[probe]]\nid = \"p\"\nplugin = \"abi-test.good-probe\"\n");
const zzp_plugin_descriptor kSink =
    zzp::describe(ZZP_KIND_SINK, "abi-test.good-sink", "ABI test sink", "1.0.0", "Counts samples.", kSinkKeys,
                  "[[sink]]\nid = \"s\"\nplugin = \"abi-test.good-sink\"\n");

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-abi-good", "1.0.0", zzp::entry<GoodProbe>(kProbe), zzp::entry<GoodSink>(kSink))
