#include "control/control_socket.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/log.hpp"

namespace zzp::host {
namespace {

constexpr size_t kMaxRequest = 4096;

bool fill_address(const std::filesystem::path& path, sockaddr_un* addr, std::string* error) {
    std::memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    const std::string s = path.string();
    if (s.size() >= sizeof addr->sun_path) {
        if (error) *error = "control socket path is too long (max " + std::to_string(sizeof addr->sun_path - 1) + "): " + s;
        return false;
    }
    std::memcpy(addr->sun_path, s.c_str(), s.size() + 1);
    return true;
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> words;
    size_t start = 0;
    for (;;) {
        size_t tab = line.find('\t', start);
        words.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return words;
}

void write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

}  // namespace

std::filesystem::path default_control_socket(const std::filesystem::path& config_path) {
    std::filesystem::path dir;
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) dir = std::filesystem::path(xdg) / "zzprobe";
    else if (geteuid() == 0) dir = "/run/zzprobe";
    else dir = "/tmp/zzprobe-" + std::to_string(geteuid());
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::weakly_canonical(config_path, ec);
    if (ec) absolute = std::filesystem::absolute(config_path);
    // Name it after the config file, with a short hash of its full path so two pipelines with
    // the same file name in different folders do not collide.
    size_t h = std::hash<std::string>{}(absolute.string());
    char tag[9];
    std::snprintf(tag, sizeof tag, "%08zx", h & 0xffffffffu);
    return dir / (absolute.stem().string() + "-" + tag + ".sock");
}

ControlServer::ControlServer(std::filesystem::path path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
    if (wake_fd_ >= 0) {
        uint64_t one = 1;
        ssize_t ignored = write(wake_fd_, &one, sizeof one);
        (void)ignored;
    }
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    if (wake_fd_ >= 0) close(wake_fd_);
}

bool ControlServer::start(std::string* error) {
    std::error_code ec;
    std::filesystem::path dir = path_.parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            *error = "cannot create " + dir.string() + ": " + ec.message();
            return false;
        }
        chmod(dir.c_str(), 0700);  // only the owner may reach the socket inside
    }
    sockaddr_un addr{};
    if (!fill_address(path_, &addr, error)) return false;
    // A socket file that nothing answers on is stale (a previous run was killed): replace it.
    if (std::filesystem::exists(path_, ec)) {
        std::string reply, why;
        if (control_request(path_, {"ping"}, &reply, &why)) {
            *error = "another zzprobe is already listening on " + path_.string();
            return false;
        }
        std::filesystem::remove(path_, ec);
    }
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    mode_t old_mask = umask(0077);  // the socket file is created 0600
    int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    umask(old_mask);
    if (rc != 0 || listen(listen_fd_, 8) != 0) {
        *error = "cannot listen on " + path_.string() + ": " + std::strerror(errno);
        close(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    wake_fd_ = eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
    return true;
}

void ControlServer::run() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents) return;
        if (!(fds[0].revents & POLLIN)) continue;
        int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        serve(client);
        close(client);
    }
}

void ControlServer::serve(int client) {
    // Only the owner (or root) may talk to us, even if someone loosened the folder's mode.
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid != geteuid() && cred.uid != 0) {
        write_all(client, "error\npermission denied: only the user running zzprobe may control it\n");
        log_warn("control", "refused a connection from uid " + std::to_string(cred.uid));
        return;
    }
    timeval timeout{5, 0};  // a client that never finishes its line cannot block the server
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string line;
    char buf[512];
    while (line.find('\n') == std::string::npos && line.size() < kMaxRequest) {
        ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    if (line.find('\n') == std::string::npos) {
        write_all(client, "error\nrequest must be one line of at most 4096 bytes\n");
        return;
    }
    line.resize(line.find('\n'));
    std::vector<std::string> words = split_tabs(line);
    std::string reply;
    if (words.size() == 1 && words[0] == "ping") reply = "ok\npong\n";
    else reply = handler_(words);
    write_all(client, reply);
}

bool control_request(const std::filesystem::path& socket_path, const std::vector<std::string>& words, std::string* reply,
                     std::string* error) {
    sockaddr_un addr{};
    if (!fill_address(socket_path, &addr, error)) return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (error) *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (error) *error = "no zzprobe answers on " + socket_path.string() + " (" + std::strerror(errno) + ")";
        close(fd);
        return false;
    }
    std::string line;
    for (size_t i = 0; i < words.size(); ++i) line += (i ? "\t" : "") + words[i];
    line += "\n";
    write_all(fd, line);
    reply->clear();
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply->append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return true;
}

}  // namespace zzp::host
