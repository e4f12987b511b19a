#include "synthetic_descriptor.hpp"

#include <zzp_sample_config.h>

#include <zzprobe/plugin.hpp>

namespace zzp::synthetic {
namespace {

// Defaults here must match SyntheticSettings (a test checks that they do).
const zzp_config_key kKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr, "target names; each is reported as address \"synthetic:<name>\"",
                  ZZP_KEY_REQUIRED),
    zzp::key("rate", ZZP_CFG_FLOAT, "10.0", "echo attempts per second per target (0.1 to 100000)"),
    zzp::key("rtt", ZZP_CFG_DURATION, "\"2ms\"", "median round-trip time"),
    zzp::key("rtt_spread", ZZP_CFG_FLOAT, "0.3", "log-normal sigma of the RTT around the median (0 to 3)"),
    zzp::key("loss", ZZP_CFG_FLOAT, "0.0", "fraction of attempts lost at random (0 to 1)"),
    zzp::key("burst_loss", ZZP_CFG_FLOAT, "0.0", "dropout bursts started per second per target (0 to 100)"),
    zzp::key("burst_length", ZZP_CFG_DURATION, "\"300ms\"", "how long a dropout burst loses every attempt"),
    zzp::key("spike_rate", ZZP_CFG_FLOAT, "0.0", "RTT spikes per second per target"),
    zzp::key("spike_rtt", ZZP_CFG_DURATION, "\"100ms\"", "extra round-trip time of a spike"),
    zzp::key("timeout", ZZP_CFG_DURATION, "\"1s\"", "an attempt without a reply by then is LOST"),
    zzp::key("seed", ZZP_CFG_INT, "0", "random seed; 0 = a different run every time"),
};

}  // namespace

const zzp_plugin_descriptor kSyntheticDescriptor =
    zzp::describe(ZZP_KIND_PROBE, "synthetic", "Synthetic probe", "1.0.0",
                  "Generates realistic echo attempts without any network: log-normal RTTs around a median, random "
                  "loss, short dropout bursts and rare RTT spikes, on a precise phase-spread schedule. For demos, "
                  "tests and benchmarks.",
                  kKeys, zzp_sample_config);

}  // namespace zzp::synthetic
