// The console sink's descriptor (id, schema, sample config), shared by the library entry and
// the tests.
#pragma once

#include <zzprobe/zzprobe.h>

namespace zzp::console {
extern const zzp_plugin_descriptor kConsoleDescriptor;
}
