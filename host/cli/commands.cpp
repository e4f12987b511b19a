#include "cli/commands.hpp"

#include <cstdio>

namespace zzp::host {

int cli_main(int, char**) {
    std::fprintf(stderr, "zzprobe: not implemented yet\n");
    return 1;
}

}  // namespace zzp::host
