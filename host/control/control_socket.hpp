// The local control socket of a running `zzprobe run`: a Unix stream socket that only its owner
// can reach (the socket's folder is 0700, the socket 0600), so `zzprobe swap` and
// `zzprobe status` work from scripts without opening anything to the network.
//
// Protocol (docs/HOT_SWAP.md): the client sends one request line, words separated by tabs
// ("status", "swap\tINSTANCE", "swap\tINSTANCE\t/path/new.so"); the server answers with a first
// line "ok" or "error", then free text, and closes the connection.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace zzp::host {

// Where a pipeline's socket lives when [host] control_socket does not say: under
// $XDG_RUNTIME_DIR/zzprobe/ (or /run/zzprobe/ for root, /tmp/zzprobe-UID/ otherwise), named
// after the config file, so `zzprobe swap -c same.toml` finds it.
std::filesystem::path default_control_socket(const std::filesystem::path& config_path);

class ControlServer {
public:
    // Handles one request (its words); returns the whole reply ("ok\n..." or "error\n...").
    using Handler = std::function<std::string(const std::vector<std::string>& words)>;

    ControlServer(std::filesystem::path path, Handler handler);
    ~ControlServer();  // stops the thread, removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates the folder and the socket; false with *error when it cannot (another zzprobe
    // already listening there is an error; a stale socket file is replaced).
    bool start(std::string* error);
    const std::filesystem::path& path() const { return path_; }

private:
    void run();
    void serve(int client);

    std::filesystem::path path_;
    Handler handler_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;
    std::thread thread_;
};

// Client side: sends one request, returns false with *error when nothing answers there.
bool control_request(const std::filesystem::path& socket_path, const std::vector<std::string>& words,
                     std::string* reply, std::string* error);

}  // namespace zzp::host
