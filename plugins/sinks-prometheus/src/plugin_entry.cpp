// The library's one exported symbol: zzp_plugin_entry_v1, offering the "prometheus" sink.
#include "prometheus_sink.hpp"

ZZP_PLUGIN_LIBRARY("zzp-prometheus", ZZP_PROMETHEUS_VERSION,
                   zzp::entry<zzp::prom::PrometheusSink>(zzp::prom::kPrometheusDescriptor))
