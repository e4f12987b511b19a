// The library's one exported symbol: zzp_plugin_entry_v1, offering the "synthetic" probe.
#include "synthetic_descriptor.hpp"
#include "synthetic_probe.hpp"

ZZP_PLUGIN_LIBRARY("zzp-synthetic", "1.0.0",
                   zzp::entry<zzp::synthetic::SyntheticProbe>(zzp::synthetic::kSyntheticDescriptor))
