// Running a command line for end-to-end tests: capture its output and exit status.
#pragma once

#include <string>

namespace zzp::test {

struct CommandResult {
    int exit_code = -1;  // the process's exit status; 128+N when killed by signal N
    std::string output;  // stdout and stderr, interleaved
};

// Runs `command` through /bin/sh with a time limit (seconds); never hangs the test.
CommandResult run_shell(const std::string& command, int timeout_seconds = 120);

// A fresh empty temporary folder, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    void write(const std::string& name, const std::string& content) const;

private:
    std::string path_;
};

}  // namespace zzp::test
