// The prometheus sink's configuration: the schema defaults, validation with messages that name
// the key at fault, and the small parsers behind it (listen address, CIDR, label, secret file).
#pragma once

#include <zzprobe/plugin.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zzp::prom {

// Defaults: keep in sync with the schema in prometheus_sink.cpp and sample.toml (a test checks).
inline constexpr const char* kDefaultListen = "127.0.0.1:9791";
inline constexpr const char* kDefaultPath = "/metrics";
inline constexpr int64_t kSecondNs = 1'000'000'000;
// RTT histogram bucket upper bounds, seconds: 100 µs to 5 s, the span from a LAN to a
// satellite link with a lossy retry, about 2.5 per decade.
inline const std::vector<double> kDefaultBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,     0.25,   0.5,   1,      2.5,    5};

struct Cidr {
    boost::asio::ip::address network;
    unsigned prefix = 0;
    bool contains(const boost::asio::ip::address& a) const;
    std::string text;
};

struct Settings {
    boost::asio::ip::address listen_address = boost::asio::ip::make_address("127.0.0.1");
    uint16_t listen_port = 9791;
    std::string listen_text = kDefaultListen;
    std::string path = kDefaultPath;
    std::vector<std::pair<std::string, std::string>> labels;  // static labels, config order
    std::vector<double> buckets = kDefaultBuckets;
    int64_t summary_window_ns = 60 * kSecondNs;
    uint32_t summary_max_samples = 20000;
    int64_t up_window_ns = 10 * kSecondNs;
    std::vector<Cidr> allow;  // client networks that may scrape; filled with loopback by default
    std::string basic_auth_user;
    std::string basic_auth_password;  // from basic_auth_password_file
    std::string bearer_token;         // from bearer_token_file
    uint32_t max_connections = 16;
    int64_t request_timeout_ns = 10 * kSecondNs;
    bool allow_unauthenticated_remote = false;

    bool auth_required() const { return !basic_auth_user.empty() || !bearer_token.empty(); }
};

// Reads and validates every key (absent keys take the schema default, so test doubles that
// fill in nothing work too). Throws zzp::Error (ZZP_E_CONFIG with the key) on a bad value.
// Warnings (e.g. a secret file readable by others) go to `warnings`.
Settings parse_settings(const zzp::Config& config, std::vector<std::string>* warnings);

// "127.0.0.1:9791", "[::1]:9791" (numeric only, port 0 = any free port).
bool parse_listen(std::string_view text, boost::asio::ip::address* address, uint16_t* port, std::string* error);
// "127.0.0.0/8", "::1/128", "192.0.2.7" (a single host).
std::optional<Cidr> parse_cidr(std::string_view text, std::string* error);
// "site=paris" -> {"site", "paris"}; checks the Prometheus label name rules and reserved names.
std::optional<std::pair<std::string, std::string>> parse_label(std::string_view text, std::string* error);
// A secret from a file: trailing newline stripped, non-empty, no control characters.
std::string read_secret_file(const std::string& path, std::vector<std::string>* warnings);

bool is_loopback(const boost::asio::ip::address& a);
// ::ffff:a.b.c.d -> a.b.c.d; everything else unchanged.
boost::asio::ip::address unmap(const boost::asio::ip::address& a);

bool valid_label_name(std::string_view name);

}  // namespace zzp::prom
