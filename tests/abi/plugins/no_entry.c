/* Defect: an ordinary shared library that exports look-alikes of the entry symbol but not the
 * entry itself (built without the SDK's version script). Its constructor creates $ZZP_MARKER,
 * which must not appear: the host decides from the symbol table. */
#include "c_plugin_kit.h"

__attribute__((constructor)) static void announce_loading(void) { kit_touch_marker(); }

ZZP_EXPORT int zzp_plugin_entry(void) { return 1; }
ZZP_EXPORT int zzp_plugin_entry_vX(void) { return 2; }
ZZP_EXPORT int some_library_function(int x) { return x + 1; }
