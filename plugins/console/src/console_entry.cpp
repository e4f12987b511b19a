// The library's one exported symbol: zzp_plugin_entry_v1, offering the "console" sink.
#include "console_descriptor.hpp"
#include "console_sink.hpp"

ZZP_PLUGIN_LIBRARY("zzp-console", "1.0.0", zzp::entry<zzp::console::ConsoleSink>(zzp::console::kConsoleDescriptor))
