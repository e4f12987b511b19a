// zzprobe command line entry point; the commands live in cli/*.cpp.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return zzp::host::cli_main(argc, argv); }
