#pragma once

namespace zzp::host {

// Dispatch `zzprobe <command> ...`; returns the process exit status
// (0 ok, 1 runtime failure, 2 bad config or usage).
int cli_main(int argc, char** argv);

}  // namespace zzp::host
