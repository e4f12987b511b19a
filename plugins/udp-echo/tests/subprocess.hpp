// Runs a helper program (responder, relay, socat) for a test and stops it at the end.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace zzp::udp_echo::test {

class Subprocess {
public:
    // Starts argv[0] (a path, or a name looked up in PATH) with stderr (and stdout) to a file.
    explicit Subprocess(std::vector<std::string> argv, std::string log_path = "")
        : log_path_(log_path.empty() ? "/tmp/zzp-udp-echo-test-" + std::to_string(getpid()) + "-" +
                                           std::to_string(counter()++) + ".log"
                                     : std::move(log_path)) {
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            execvp(args[0], args.data());
            _exit(127);
        }
    }
    ~Subprocess() {
        stop();
        std::remove(log_path_.c_str());
    }
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    int stop(int sig = SIGTERM) {
        if (pid_ <= 0) return status_;
        kill(pid_, sig);
        int st = 0;
        waitpid(pid_, &st, 0);
        pid_ = -1;
        status_ = st;
        return st;
    }
    // Waits (up to timeout) until the log contains `needle`; *rest gets the remainder of that
    // line (e.g. the port after "listening on 127.0.0.1:"). False on timeout.
    bool wait_for_text(const std::string& needle, std::string* rest = nullptr, int timeout_ms = 5000) const {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (std::chrono::steady_clock::now() < until) {
            std::string text = log();
            size_t at = text.find(needle);
            if (at != std::string::npos) {
                size_t from = at + needle.size();
                size_t end = text.find('\n', from);
                if (end == std::string::npos) end = text.size();
                if (rest) *rest = text.substr(from, end - from);
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    std::string log() const {
        std::ifstream in(log_path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

private:
    static int& counter() {
        static int c = 0;
        return c;
    }
    std::string log_path_;
    pid_t pid_ = -1;
    int status_ = -1;
};

// Runs a shell command, returns its exit status.
inline int run(const std::string& command) {
    int st = std::system(command.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace zzp::udp_echo::test
