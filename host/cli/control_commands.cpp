// `zzprobe status` and `zzprobe swap`: clients of a running pipeline's control socket.
#include <cstdio>

#include "cli/command_table.hpp"
#include "control/control_socket.hpp"

namespace zzp::host {

namespace po = boost::program_options;

namespace {

// The socket named by --socket, or the one `zzprobe run -c FILE` listens on by default.
bool socket_from_options(const po::variables_map& vm, std::filesystem::path* out) {
    if (vm.count("socket")) {
        *out = vm["socket"].as<std::string>();
        return true;
    }
    if (vm.count("config")) {
        *out = default_control_socket(vm["config"].as<std::string>());
        return true;
    }
    std::fprintf(stderr, "zzprobe: give the pipeline (-c FILE, as given to zzprobe run) or --socket PATH\n");
    return false;
}

int request(const std::filesystem::path& socket, const std::vector<std::string>& words) {
    std::string reply, error;
    if (!control_request(socket, words, &reply, &error)) {
        std::fprintf(stderr, "zzprobe: %s\n  hint: is `zzprobe run` running with this config? A [host] control_socket "
                             "in the config moves the socket; pass the same path with --socket\n",
                     error.c_str());
        return kExitFailure;
    }
    size_t nl = reply.find('\n');
    std::string status = reply.substr(0, nl);
    std::string body = nl == std::string::npos ? "" : reply.substr(nl + 1);
    std::fputs(body.c_str(), status == "ok" ? stdout : stderr);
    return status == "ok" ? kExitOk : kExitFailure;
}

void add_socket_options(po::options_description& options) {
    options.add_options()("config,c", po::value<std::string>(), "the pipeline file the running zzprobe was started with")(
        "socket,s", po::value<std::string>(), "the control socket path (instead of -c)");
}

}  // namespace

int status_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe status options");
    add_socket_options(options);
    po::positional_options_description positional;
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("status", "zzprobe status (-c PIPELINE.toml | --socket PATH)", args, options, positional, vm,
                            &code))
        return code;
    std::filesystem::path socket;
    if (!socket_from_options(vm, &socket)) return kExitUsage;
    return request(socket, {"status"});
}

int swap_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe swap options");
    add_socket_options(options);
    options.add_options()("instance", po::value<std::string>()->required(), "the instance id to swap")(
        "library", po::value<std::string>(), "the new plugin library (default: the file it was loaded from, as it is now)");
    po::positional_options_description positional;
    positional.add("instance", 1).add("library", 1);
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("swap", "zzprobe swap (-c PIPELINE.toml | --socket PATH) INSTANCE [LIBRARY.so]", args, options,
                            positional, vm, &code))
        return code;
    std::filesystem::path socket;
    if (!socket_from_options(vm, &socket)) return kExitUsage;
    std::vector<std::string> words = {"swap", vm["instance"].as<std::string>()};
    if (vm.count("library")) {
        std::error_code ec;
        words.push_back(std::filesystem::absolute(vm["library"].as<std::string>(), ec).string());
    }
    return request(socket, words);
}

}  // namespace zzp::host
