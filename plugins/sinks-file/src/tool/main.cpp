// zzprobe-file: inspect, check, repair and convert zzprobe recordings (README.md, docs/FORMAT.md).
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <string>

#include "tool/commands.hpp"

namespace {

const char* const kUsage =
    "usage: zzprobe-file COMMAND [options] FILE...\n"
    "  info      FILE|DIR...                        header, targets, time range, state of each file\n"
    "  dump      [--format text|csv|jsonl] [--samples] [--target NAME] FILE|DIR...\n"
    "  verify    FILE...                            check every checksum; first bad byte offset\n"
    "  recover   FILE...                            cut a torn tail after a crash, rewrite the index\n"
    "  aggregate --interval DURATION -o OUT FILE|DIR...   coarser frames (e.g. 1s, 1m)\n"
    "  export    [--target NAME] [--precision P] -o OUT.fdq FILE|DIR...   to the original tool's FrameDataQ\n"
    "  import    [--target NAME] [--precision P] -o OUT.zzr FILE          from FrameData or FrameDataQ\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace zzp::file_tool;
    if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const std::map<std::string, int (*)(const Args&)> commands = {
        {"info", cmd_info},       {"dump", cmd_dump},     {"verify", cmd_verify}, {"recover", cmd_recover},
        {"aggregate", cmd_aggregate}, {"export", cmd_export}, {"import", cmd_import}};
    auto it = commands.find(argv[1]);
    if (it == commands.end()) {
        std::fprintf(stderr, "zzprobe-file: unknown command '%s'\n%s", argv[1], kUsage);
        return 2;
    }
    try {
        return it->second(Args(argv + 2, argv + argc));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "zzprobe-file %s: %s\n", argv[1], e.what());
        return 2;
    }
}
