#include "cli/command_table.hpp"

#include <cstdio>
#include <iostream>

namespace zzp::host {

namespace po = boost::program_options;

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"run", "run a pipeline (the daemon) until SIGINT/SIGTERM", &run_command},
        {"check", "validate a pipeline and its plugins, start nothing (exit 0 or 2)", &check_command},
        {"plugins", "list the plugins found, or describe one with its schema and sample config", &plugins_command},
        {"status", "show a running pipeline's instances, generations, queues and counters", &status_command},
        {"swap", "hot-swap a running instance to a new build of its plugin", &swap_command},
        {"view", "show recordings or a live udp-stream in the OpenGL viewer (plugin gl)", &view_command},
    };
    return table;
}

bool parse_command_line(const char* command, const char* synopsis, const std::vector<std::string>& args,
                        po::options_description& options, const po::positional_options_description& positional,
                        po::variables_map& vm, int* exit_code) {
    options.add_options()("help,h", "show this help");
    try {
        po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: " << synopsis << "\n\n" << options << "\n";
            *exit_code = kExitOk;
            return false;
        }
        po::notify(vm);  // after --help, so `zzprobe run --help` needs no -c
    } catch (const po::error& e) {
        std::fprintf(stderr, "zzprobe %s: %s\nusage: %s\n(zzprobe %s --help for the options)\n", command, e.what(), synopsis,
                     command);
        *exit_code = kExitUsage;
        return false;
    }
    return true;
}

std::vector<std::filesystem::path> plugin_dirs_option(const po::variables_map& vm) {
    std::vector<std::filesystem::path> dirs;
    if (vm.count("plugin-dir"))
        for (const auto& d : vm["plugin-dir"].as<std::vector<std::string>>()) dirs.emplace_back(d);
    return dirs;
}

const char* kind_name(uint32_t zzp_kind) {
    switch (zzp_kind) {
    case ZZP_KIND_PROBE: return "probe";
    case ZZP_KIND_SINK: return "sink";
    case ZZP_KIND_VIEWER: return "viewer";
    }
    return "?";
}

}  // namespace zzp::host
