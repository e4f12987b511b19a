#include "console_descriptor.hpp"

#include <zzp_sample_config.h>

#include <zzprobe/plugin.hpp>

namespace zzp::console {
namespace {

// Defaults here must match ConsoleSettings (a test checks that they do).
const zzp_config_key kKeys[] = {
    zzp::key("window", ZZP_CFG_DURATION, "\"5s\"",
             "the statistics cover this much of the most recent data (100ms to 1h)"),
    zzp::key("refresh", ZZP_CFG_DURATION, "\"1s\"", "how often the summary is printed (50ms to 1h)"),
    zzp::key("format", ZZP_CFG_STRING, "\"auto\"",
             "\"auto\" (a table redrawn in place on a terminal, else lines), \"table\" or \"lines\""),
    zzp::key("output", ZZP_CFG_STRING, "\"stdout\"", "\"stdout\" or \"stderr\""),
};

}  // namespace

const zzp_plugin_descriptor kConsoleDescriptor =
    zzp::describe(ZZP_KIND_SINK, "console", "Console summary", "1.0.0",
                  "Prints a live summary per target: sent and reply rates, RTT p50 / p99~ / mean, loss % over "
                  "settled attempts, time since the last reply and attempts in flight, over a sliding window of "
                  "frames. Redraws in place on a terminal, prints plain lines otherwise.",
                  kKeys, zzp_sample_config);

}  // namespace zzp::console
