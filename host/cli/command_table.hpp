// The table of zzprobe commands and the helpers every command shares.
#pragma once

#include <boost/program_options.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <zzprobe/zzprobe.h>

namespace zzp::host {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;  // also: bad configuration

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

int run_command(const std::vector<std::string>& args);
int check_command(const std::vector<std::string>& args);
int plugins_command(const std::vector<std::string>& args);
int status_command(const std::vector<std::string>& args);
int swap_command(const std::vector<std::string>& args);
int view_command(const std::vector<std::string>&);

// Parses `args` against `options` (and `positional`); prints the command's help and returns
// false with *exit_code set when --help was given or the arguments are wrong.
bool parse_command_line(const char* command, const char* synopsis, const std::vector<std::string>& args,
                        boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description& positional,
                        boost::program_options::variables_map& vm, int* exit_code);

const char* kind_name(uint32_t zzp_kind);

// The folders given with --plugin-dir, in order.
std::vector<std::filesystem::path> plugin_dirs_option(const boost::program_options::variables_map& vm);

}  // namespace zzp::host
