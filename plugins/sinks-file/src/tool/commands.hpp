// zzprobe-file subcommands. Each returns the process exit status: 0 ok, 1 the data is bad
// (verify found damage), 2 usage or input errors.
#pragma once

#include <string>
#include <vector>

namespace zzp::file_tool {

using Args = std::vector<std::string>;

int cmd_info(const Args& args);
int cmd_dump(const Args& args);
int cmd_verify(const Args& args);
int cmd_recover(const Args& args);
int cmd_aggregate(const Args& args);
int cmd_export(const Args& args);
int cmd_import(const Args& args);

}  // namespace zzp::file_tool
