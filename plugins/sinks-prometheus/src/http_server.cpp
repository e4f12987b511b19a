#include "http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <stdexcept>

namespace zzp::prom {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr uint32_t kHeaderLimit = 8 * 1024;  // request line + headers
constexpr uint64_t kBodyLimit = 1024;        // scrapes have no body
constexpr const char* kServerName = "zzprobe-prometheus/" ZZP_PROMETHEUS_VERSION;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Compares without an early exit, so the time taken does not reveal how much matched.
bool constant_time_equals(std::string_view a, std::string_view b) {
    size_t n = std::max(a.size(), b.size());
    unsigned diff = a.size() == b.size() ? 0u : 1u;
    for (size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned>(x ^ y);
    }
    return diff == 0;
}

}  // namespace

std::string base64_encode(std::string_view in) {
    static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < in.size()) {
        uint32_t v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

struct HttpServer::Impl {
    explicit Impl(ServerOptions o) : options(std::move(o)), acceptor(ioc), retry_timer(ioc) {
        if (!options.basic_user.empty()) basic_expected = base64_encode(options.basic_user + ":" + options.basic_password);
    }

    void log(int level, const std::string& m) const {
        if (options.log) options.log(level, m);
    }

    void do_accept();
    bool allowed(const asio::ip::address& a) const {
        if (options.allow.empty()) return true;
        for (const Cidr& c : options.allow)
            if (c.contains(a)) return true;
        return false;
    }
    bool auth_required() const { return !basic_expected.empty() || !options.bearer_token.empty(); }
    bool authorized(std::string_view header) const {
        size_t space = header.find(' ');
        if (space == std::string_view::npos) return false;
        std::string_view scheme = header.substr(0, space);
        std::string_view credentials = header.substr(space + 1);
        while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
        while (!credentials.empty() && (credentials.back() == ' ' || credentials.back() == '\t'))
            credentials.remove_suffix(1);
        if (!basic_expected.empty() && iequals(scheme, "Basic")) return constant_time_equals(credentials, basic_expected);
        if (!options.bearer_token.empty() && iequals(scheme, "Bearer"))
            return constant_time_equals(credentials, options.bearer_token);
        return false;
    }

    ServerOptions options;
    std::string basic_expected;
    // Declared before the io_context: sessions still owned by its handlers touch them when it
    // is destroyed.
    uint32_t active = 0;  // [server thread]
    uint64_t next_session = 0;
    std::unordered_map<uint64_t, std::function<void()>> closers;  // live sessions [server thread]
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::atomic<uint64_t> connections{0}, refused_busy{0}, scrapes{0}, client_errors{0}, forbidden{0},
        unauthorized{0}, timeouts{0};

    asio::io_context ioc{1};
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(HttpServer::Impl& server, tcp::socket socket, bool allowed)
        : server_(server), stream_(std::move(socket)), allowed_(allowed), id_(++server.next_session) {
        ++server_.active;
    }
    ~Session() {
        --server_.active;
        server_.closers.erase(id_);
    }

    void run() {
        server_.closers.emplace(id_, [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->close();
        });
        do_read();
    }

private:
    using Request = http::request<http::string_body>;

    std::chrono::nanoseconds timeout() const { return std::chrono::nanoseconds(server_.options.request_timeout_ns); }

    void do_read() {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(kBodyLimit);
        stream_.expires_after(timeout());
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset)
            return close();
        if (ec == beast::error::timeout) {
            ++server_.timeouts;
            return close();  // a silent or too slow client: nobody is waiting for an answer
        }
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return error(http::status::request_header_fields_too_large, "request header too large\n");
        if (ec == http::error::body_limit) return error(http::status::payload_too_large, "request body too large\n");
        if (ec && ec.category() == beast::error_code(http::error::bad_method).category())
            return error(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n");
        if (ec) return close();  // the connection failed
        handle(parser_->release());
    }

    void handle(Request req) {
        const bool head = req.method() == http::verb::head;
        keep_alive_ = req.keep_alive();
        version_ = req.version();
        if (!allowed_) {
            ++server_.forbidden;
            return error(http::status::forbidden, "this address may not scrape (see the sink's allow key)\n");
        }
        if (server_.auth_required()) {
            auto it = req.find(http::field::authorization);
            if (it == req.end() || !server_.authorized(it->value())) {
                ++server_.unauthorized;
                http::response<http::string_body> res{http::status::unauthorized, version_};
                if (!server_.basic_expected.empty())
                    res.insert(http::field::www_authenticate, "Basic realm=\"zzprobe\", charset=\"UTF-8\"");
                if (!server_.options.bearer_token.empty())
                    res.insert(http::field::www_authenticate, "Bearer realm=\"zzprobe\"");
                res.set(http::field::content_type, "text/plain; charset=utf-8");
                res.body() = "authentication required\n";
                ++server_.client_errors;
                return send(std::move(res), false);
            }
        }
        std::string_view target = req.target();
        std::string_view path = target.substr(0, target.find('?'));
        const bool known = path == server_.options.path || path == "/";
        if (!known) return error(http::status::not_found, "not found; metrics are at " + server_.options.path + "\n");
        if (req.method() != http::verb::get && !head) {
            http::response<http::string_body> res{http::status::method_not_allowed, version_};
            res.set(http::field::allow, "GET, HEAD");
            res.set(http::field::content_type, "text/plain; charset=utf-8");
            res.body() = "only GET and HEAD are supported\n";
            ++server_.client_errors;
            return send(std::move(res), false);
        }
        if (path == "/") {
            std::string page = "<html><head><title>zzprobe</title></head><body><h1>zzprobe</h1><p><a href=\"" +
                               server_.options.path + "\">Metrics</a></p></body></html>\n";
            return ok("text/html; charset=utf-8", std::make_shared<const std::string>(std::move(page)), head);
        }
        auto accept = req.find(http::field::accept);
        Format format = negotiate(accept == req.end() ? std::string_view() : std::string_view(accept->value()));
        std::shared_ptr<const std::string> body = server_.options.render(format);
        ++server_.scrapes;
        ok(format == Format::OpenMetrics ? kOpenMetricsContentType : kTextContentType, std::move(body), head);
    }

    void ok(const char* content_type, std::shared_ptr<const std::string> body, bool head) {
        if (head) {
            http::response<http::empty_body> res{http::status::ok, version_};
            res.set(http::field::content_type, content_type);
            res.content_length(body->size());
            return send(std::move(res), true);
        }
        body_ = std::move(body);  // kept alive until the write completes
        http::response<http::span_body<const char>> res{http::status::ok, version_};
        res.set(http::field::content_type, content_type);
        res.set(http::field::cache_control, "no-store");
        res.body() = boost::beast::span<const char>(body_->data(), body_->size());
        res.prepare_payload();
        send(std::move(res), true);
    }

    void error(http::status status, std::string text) {
        ++server_.client_errors;
        http::response<http::string_body> res{status, version_};
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = std::move(text);
        send(std::move(res), false, /*force_close=*/true);
    }

    // keep: whether the connection may stay open after this response (if the client wants it).
    template <class Body>
    void send(http::response<Body>&& res, bool keep, bool force_close = false) {
        const bool close_after = force_close || !keep_alive_ || !keep;
        res.set(http::field::server, kServerName);
        res.keep_alive(!close_after);
        if constexpr (!std::is_same_v<Body, http::empty_body>) res.prepare_payload();
        auto sp = std::make_shared<http::response<Body>>(std::move(res));
        response_ = sp;
        stream_.expires_after(timeout());
        http::async_write(stream_, *sp, [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
            self->response_.reset();
            self->body_.reset();
            if (ec == beast::error::timeout) ++self->server_.timeouts;
            if (ec || close_after) return self->close();
            self->do_read();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    HttpServer::Impl& server_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_{kHeaderLimit + kBodyLimit + 1024};
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<void> response_;
    std::shared_ptr<const std::string> body_;
    bool allowed_;
    uint64_t id_;
    bool keep_alive_ = false;
    unsigned version_ = 11;
};

// What a client gets when every connection slot is taken: a canned 503, then close.
class Refusal : public std::enable_shared_from_this<Refusal> {
public:
    explicit Refusal(tcp::socket socket) : socket_(std::move(socket)) {}
    void run() {
        static const char kText[] =
            "HTTP/1.1 503 Service Unavailable\r\nServer: zzprobe-prometheus\r\nRetry-After: 1\r\nConnection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n\r\ntoo many connections\r\n";
        // A non-blocking best effort: a client too slow to take 200 bytes gets nothing.
        socket_.non_blocking(true);
        beast::error_code ec;
        socket_.write_some(asio::buffer(kText, sizeof kText - 1), ec);
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

private:
    tcp::socket socket_;
};

}  // namespace

void HttpServer::Impl::do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            // EMFILE and the like: log, wait a little and try again (no busy loop).
            log(2, "accept failed: " + ec.message() + "; retrying in 100 ms");
            retry_timer.expires_after(std::chrono::milliseconds(100));
            retry_timer.async_wait([this](beast::error_code e) {
                if (!e) do_accept();
            });
            return;
        }
        ++connections;
        beast::error_code peer_ec;
        tcp::endpoint peer = socket.remote_endpoint(peer_ec);
        if (peer_ec) {
            socket.close(peer_ec);
        } else if (active >= options.max_connections) {
            ++refused_busy;
            std::make_shared<Refusal>(std::move(socket))->run();
        } else {
            std::make_shared<Session>(*this, std::move(socket), allowed(peer.address()))->run();
        }
        do_accept();
    });
}

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    Impl& s = *impl_;
    tcp::endpoint endpoint(s.options.address, s.options.port);
    std::string where = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                   : endpoint.address().to_string()) +
                        ":" + std::to_string(endpoint.port());
    beast::error_code ec;
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        std::string hint = ec == asio::error::address_in_use
                               ? "another program (or another zzprobe sink) listens there; choose another port in "
                                 "'listen'"
                               : ec == boost::system::errc::address_not_available
                                     ? "this machine has no such address; use one of its own addresses"
                                     : ec == asio::error::access_denied ? "ports below 1024 need privileges" : "";
        throw std::runtime_error("cannot listen on " + where + ": " + ec.message() + (hint.empty() ? "" : "; " + hint));
    }
    bound_port_ = s.acceptor.local_endpoint().port();
    s.do_accept();
    thread_ = std::thread([&s] {
        for (;;) {
            try {
                s.ioc.run();
                std::lock_guard lock(s.done_mutex);
                s.done = true;
                s.done_cv.notify_all();
                return;
            } catch (const std::exception& e) {
                // A bug in a handler must not take the host down: log it and keep serving.
                s.log(3, std::string("HTTP server error: ") + e.what());
            }
        }
    });
}

void HttpServer::stop() {
    if (!impl_) return;
    Impl& s = *impl_;
    if (thread_.joinable()) {
        // Close everything from the server thread; run() then returns once the aborted
        // handlers have completed and released their sessions.
        asio::post(s.ioc, [&s] {
            beast::error_code ec;
            s.acceptor.close(ec);
            s.retry_timer.cancel();
            auto closers = s.closers;  // closing may erase entries
            for (auto& [id, close] : closers) close();
        });
        std::unique_lock lock(s.done_mutex);
        if (!s.done_cv.wait_for(lock, std::chrono::seconds(2), [&] { return s.done; })) s.ioc.stop();
        lock.unlock();
        thread_.join();
    }
    impl_.reset();
}

ServerStats HttpServer::stats() const {
    ServerStats s;
    if (!impl_) return s;
    s.connections = impl_->connections;
    s.refused_busy = impl_->refused_busy;
    s.scrapes = impl_->scrapes;
    s.client_errors = impl_->client_errors;
    s.forbidden = impl_->forbidden;
    s.unauthorized = impl_->unauthorized;
    s.timeouts = impl_->timeouts;
    return s;
}

}  // namespace zzp::prom
