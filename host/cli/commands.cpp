// `zzprobe <command> [options]`: the command dispatch and the global help. Each command parses
// its own options (Boost.Program_options) in its own file.
#include "cli/commands.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace zzp::host {
namespace {

void print_usage(FILE* out) {
    std::fprintf(out,
                 "zzprobe %s — network latency and packet-loss monitor\n\n"
                 "usage: zzprobe <command> [options]   (zzprobe <command> --help for its options)\n\n"
                 "commands:\n",
                 ZZP_VERSION);
    for (const Command& c : commands()) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
    std::fprintf(out,
                 "\nenvironment:\n"
                 "  ZZPROBE_PLUGIN_PATH  extra plugin folders, colon separated\n"
                 "  ZZPROBE_LOG          log level: debug, info, warn, error\n"
                 "\nexit status: 0 ok, 1 runtime failure, 2 bad configuration or usage\n");
}

}  // namespace

int cli_main(int argc, char** argv) {
    // A closed stdout pipe or a vanished socket peer must be an error return, never a kill.
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        print_usage(stderr);
        return kExitUsage;
    }
    std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(stdout);
        return kExitOk;
    }
    if (name == "--version" || name == "-V") {
        std::printf("zzprobe %s (plugin ABI %d.%d)\n", ZZP_VERSION, ZZP_ABI_MAJOR, ZZP_ABI_MINOR);
        return kExitOk;
    }
    for (const Command& c : commands()) {
        if (name == c.name) {
            std::vector<std::string> args(argv + 2, argv + argc);
            return c.run(args);
        }
    }
    std::fprintf(stderr, "zzprobe: unknown command '%s'\n", name.c_str());
    print_usage(stderr);
    return kExitUsage;
}

}  // namespace zzp::host
