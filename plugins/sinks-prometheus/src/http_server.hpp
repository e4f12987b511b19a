// The prometheus sink's HTTP side (Boost.Beast on one Asio thread of its own): accepts scrapes,
// checks the client allow-list and authentication, negotiates the format, answers errors with
// proper HTTP statuses, and bounds what any client can cost (connection cap, header and body
// limits, a deadline per request). It knows nothing of the plugin ABI.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exposition.hpp"
#include "settings.hpp"

namespace zzp::prom {

struct ServerOptions {
    boost::asio::ip::address address = boost::asio::ip::make_address("127.0.0.1");
    uint16_t port = 0;
    std::string path = "/metrics";
    std::vector<Cidr> allow;            // empty: everyone
    std::string basic_user;             // with basic_password: Basic auth accepted
    std::string basic_password;
    std::string bearer_token;           // non-empty: Bearer auth accepted
    uint32_t max_connections = 16;
    int64_t request_timeout_ns = 10'000'000'000;
    // Called on the server thread for each scrape; returns the body.
    std::function<std::shared_ptr<const std::string>(Format)> render;
    std::function<void(int level, const std::string& message)> log;
};

struct ServerStats {
    uint64_t connections = 0;       // accepted
    uint64_t refused_busy = 0;      // 503: max_connections reached
    uint64_t scrapes = 0;           // 200 on the metrics path
    uint64_t client_errors = 0;     // 4xx answered
    uint64_t forbidden = 0;         // 403: not in the allow-list
    uint64_t unauthorized = 0;      // 401
    uint64_t timeouts = 0;          // connections closed by request_timeout
};

class HttpServer {
public:
    explicit HttpServer(ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens (throws std::runtime_error naming the address and what to do), then
    // starts the server thread.
    void start();
    // Closes everything and joins the thread. Idempotent.
    void stop();

    uint16_t port() const { return bound_port_; }
    ServerStats stats() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    std::thread thread_;
    uint16_t bound_port_ = 0;
};

// "user:password" as Basic credentials (base64, RFC 7617).
std::string base64_encode(std::string_view in);

}  // namespace zzp::prom
