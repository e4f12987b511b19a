/* Compiled as strict C11 with -Wall -Wextra -pedantic -Werror (see CMakeLists.txt): every SDK
 * header must be valid, warning-free C. Also reports what a C compiler sees, so a test can
 * compare it with C++. */
#include <zzprobe/zzprobe.h>

uint64_t zzp_header_check_c_fingerprint(void);
size_t zzp_header_check_c_sizeof(int which);

uint64_t zzp_header_check_c_fingerprint(void) { return ZZP_ABI_FINGERPRINT; }

/* 0 sample, 1 frame, 2 batch, 3 plugin library, 4 plugin, 5 descriptor, 6 error, 7 host */
size_t zzp_header_check_c_sizeof(int which) {
    switch (which) {
    case 0: return sizeof(zzp_sample);
    case 1: return sizeof(zzp_frame);
    case 2: return sizeof(zzp_batch);
    case 3: return sizeof(zzp_plugin_library);
    case 4: return sizeof(zzp_plugin);
    case 5: return sizeof(zzp_plugin_descriptor);
    case 6: return sizeof(zzp_error);
    case 7: return sizeof(zzp_host);
    default: return 0;
    }
}
