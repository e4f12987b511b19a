#include "settings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace zzp::prom {
namespace asio = boost::asio;

namespace {

template <class T, class Get>
T optional(const zzp::Config& c, const char* key, T fallback, Get get) {
    return c.has(key) ? get(key) : fallback;
}

// Lists read element by element, so a bad element is reported as "key[i]".
std::vector<std::string> string_list(const zzp::Config& c, const std::string& key,
                                     std::vector<std::string> fallback) {
    uint64_t n = 0;
    zzp_status s = c.raw()->get_length(c.raw(), key.c_str(), &n);
    if (s == ZZP_E_NOT_FOUND) return fallback;  // absent: only test doubles leave defaults out
    if (s != ZZP_OK) throw zzp::config_error(key, "'" + key + "' must be a list of strings");
    return c.strings(key);
}

std::vector<double> number_list(const zzp::Config& c, const std::string& key, std::vector<double> fallback) {
    uint64_t n = 0;
    zzp_status s = c.raw()->get_length(c.raw(), key.c_str(), &n);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw zzp::config_error(key, "'" + key + "' must be a list of numbers");
    std::vector<double> out;
    for (uint64_t i = 0; i < n; ++i) out.push_back(c.number(key + "[" + std::to_string(i) + "]"));
    return out;
}

}  // namespace

bool Cidr::contains(const asio::ip::address& raw) const {
    asio::ip::address a = unmap(raw);
    if (a.is_v4() != network.is_v4()) return false;
    auto compare = [&](const auto& x, const auto& y) {
        unsigned bits = prefix;
        for (size_t i = 0; i < x.size() && bits > 0; ++i) {
            unsigned take = std::min(bits, 8u);
            unsigned mask = (0xffu << (8 - take)) & 0xffu;
            if ((x[i] & mask) != (y[i] & mask)) return false;
            bits -= take;
        }
        return true;
    };
    if (a.is_v4()) return compare(a.to_v4().to_bytes(), network.to_v4().to_bytes());
    return compare(a.to_v6().to_bytes(), network.to_v6().to_bytes());
}

asio::ip::address unmap(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a;
}

bool is_loopback(const asio::ip::address& a) { return unmap(a).is_loopback(); }

bool parse_listen(std::string_view text, asio::ip::address* address, uint16_t* port, std::string* error) {
    auto fail = [&](const std::string& why) {
        *error = "listen \"" + std::string(text) + "\": " + why +
                 "; expected a numeric address and port such as \"127.0.0.1:9791\" or \"[::1]:9791\"";
        return false;
    };
    std::string_view host, port_text;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return fail("an IPv6 address needs brackets and a port");
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail("no port");
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return fail("an IPv6 address needs brackets");
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535)
        return fail("the port must be a number from 0 to 65535");
    boost::system::error_code aec;
    asio::ip::address a = asio::ip::make_address(std::string(host), aec);
    if (aec) return fail("'" + std::string(host) + "' is not a numeric IP address (names are not resolved)");
    if (a.is_v6() && !text.empty() && text.front() != '[') return fail("an IPv6 address needs brackets");
    if (a.is_v4() && !text.empty() && text.front() == '[') return fail("brackets are for IPv6 addresses");
    *address = a;
    *port = static_cast<uint16_t>(value);
    return true;
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error) {
    std::string_view host = text;
    std::optional<unsigned> prefix;
    size_t slash = text.find('/');
    if (slash != std::string_view::npos) {
        host = text.substr(0, slash);
        std::string_view p = text.substr(slash + 1);
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size()) {
            *error = "\"" + std::string(text) + "\": the prefix length after '/' must be a number";
            return std::nullopt;
        }
        prefix = v;
    }
    boost::system::error_code ec;
    asio::ip::address a = asio::ip::make_address(std::string(host), ec);
    if (ec) {
        *error = "\"" + std::string(text) +
                 "\" is not a network: expected a numeric address with an optional prefix length, such as "
                 "\"127.0.0.0/8\", \"192.0.2.7\" or \"::1/128\"";
        return std::nullopt;
    }
    a = unmap(a);
    unsigned max = a.is_v4() ? 32 : 128;
    if (prefix && *prefix > max) {
        *error = "\"" + std::string(text) + "\": the prefix length of an " + (a.is_v4() ? "IPv4" : "IPv6") +
                 " network is at most " + std::to_string(max);
        return std::nullopt;
    }
    return Cidr{a, prefix.value_or(max), std::string(text)};
}

bool valid_label_name(std::string_view name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::optional<std::pair<std::string, std::string>> parse_label(std::string_view text, std::string* error) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        *error = "\"" + std::string(text) + "\": expected NAME=VALUE, such as \"site=paris\"";
        return std::nullopt;
    }
    std::string name(text.substr(0, eq));
    std::string value(text.substr(eq + 1));
    if (!valid_label_name(name)) {
        *error = "\"" + name + "\" is not a valid Prometheus label name (letters, digits and '_', not starting "
                 "with a digit)";
        return std::nullopt;
    }
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') {
        *error = "label names starting with \"__\" are reserved for Prometheus itself";
        return std::nullopt;
    }
    static const char* const kReserved[] = {"probe", "target", "address", "method", "le", "quantile",
                                            "job",   "instance"};
    for (const char* r : kReserved)
        if (name == r) {
            *error = "label \"" + name + "\" is reserved (" +
                     (name == "job" || name == "instance" ? std::string("Prometheus sets it from the scrape config")
                                                          : std::string("the sink sets it")) +
                     "); choose another name";
            return std::nullopt;
        }
    if (value.empty()) {
        *error = "label \"" + name + "\" has an empty value (Prometheus treats it as absent)";
        return std::nullopt;
    }
    for (unsigned char c : value)
        if (c < 0x20 && c != '\t') {
            *error = "label \"" + name + "\" has a control character in its value";
            return std::nullopt;
        }
    return std::make_pair(std::move(name), std::move(value));
}

std::string read_secret_file(const std::string& path, std::vector<std::string>* warnings) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error("'" + path + "' is not a regular file");
    if (st.st_size > 4096) throw std::runtime_error("'" + path + "' is larger than 4 KiB: not a secret file?");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    std::ostringstream buf;
    buf << in.rdbuf();
    std::string secret = buf.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) throw std::runtime_error("'" + path + "' is empty");
    for (unsigned char c : secret)
        if (c < 0x20 || c == 0x7f)
            throw std::runtime_error("'" + path + "' holds a control character (only one line of text is allowed)");
    if ((st.st_mode & 077) != 0 && warnings)
        warnings->push_back("secret file '" + path + "' is readable by group or others; chmod 600 it");
    return secret;
}

Settings parse_settings(const zzp::Config& c, std::vector<std::string>* warnings) {
    Settings s;
    std::string error;

    s.listen_text = optional<std::string>(c, "listen", kDefaultListen, [&](auto k) { return c.string(k); });
    if (!parse_listen(s.listen_text, &s.listen_address, &s.listen_port, &error)) throw zzp::config_error("listen", error);

    s.path = optional<std::string>(c, "path", kDefaultPath, [&](auto k) { return c.string(k); });
    if (s.path.empty() || s.path.front() != '/' || s.path == "/" || s.path.size() > 256 ||
        s.path.find_first_of("?# \t\r\n") != std::string::npos)
        throw zzp::config_error("path", "path must start with '/', not be \"/\" alone, and hold no '?', '#' or "
                                        "spaces, e.g. \"/metrics\"");

    std::vector<std::string> labels = string_list(c, "labels", {});
    for (size_t i = 0; i < labels.size(); ++i) {
        std::string key = "labels[" + std::to_string(i) + "]";
        auto label = parse_label(labels[i], &error);
        if (!label) throw zzp::config_error(key, error);
        for (const auto& l : s.labels)
            if (l.first == label->first) throw zzp::config_error(key, "label \"" + l.first + "\" is given twice");
        s.labels.push_back(std::move(*label));
    }

    s.buckets = number_list(c, "buckets", kDefaultBuckets);
    if (s.buckets.empty() || s.buckets.size() > 64)
        throw zzp::config_error("buckets", "buckets must list 1 to 64 upper bounds in seconds");
    for (size_t i = 0; i < s.buckets.size(); ++i) {
        double b = s.buckets[i];
        if (!std::isfinite(b) || b <= 0 || b > 3600)
            throw zzp::config_error("buckets[" + std::to_string(i) + "]",
                                    "bucket bounds are seconds above 0 and at most 3600 (+Inf is always added)");
        if (i > 0 && b <= s.buckets[i - 1])
            throw zzp::config_error("buckets[" + std::to_string(i) + "]", "bucket bounds must increase strictly");
    }

    s.summary_window_ns =
        optional<int64_t>(c, "summary_window", 60 * kSecondNs, [&](auto k) { return c.duration(k).count(); });
    if (s.summary_window_ns < kSecondNs || s.summary_window_ns > 3600 * kSecondNs)
        throw zzp::config_error("summary_window", "summary_window must be between \"1s\" and \"1h\"");
    int64_t max_samples =
        optional<int64_t>(c, "summary_max_samples", 20000, [&](auto k) { return c.integer(k); });
    if (max_samples < 100 || max_samples > 1'000'000)
        throw zzp::config_error("summary_max_samples", "summary_max_samples must be between 100 and 1000000");
    s.summary_max_samples = static_cast<uint32_t>(max_samples);

    s.up_window_ns = optional<int64_t>(c, "up_window", 10 * kSecondNs, [&](auto k) { return c.duration(k).count(); });
    if (s.up_window_ns < 100'000'000 || s.up_window_ns > 24 * 3600 * kSecondNs)
        throw zzp::config_error("up_window", "up_window must be between \"100ms\" and \"24h\"");

    std::vector<std::string> allow = string_list(c, "allow", {"127.0.0.0/8", "::1/128"});
    for (size_t i = 0; i < allow.size(); ++i) {
        auto cidr = parse_cidr(allow[i], &error);
        if (!cidr) throw zzp::config_error("allow[" + std::to_string(i) + "]", error);
        s.allow.push_back(std::move(*cidr));
    }
    if (s.allow.empty())
        throw zzp::config_error("allow", "allow is empty: nobody could scrape; list the networks of your Prometheus "
                                         "servers, e.g. [\"127.0.0.0/8\", \"192.0.2.10\"]");

    s.basic_auth_user = optional<std::string>(c, "basic_auth_user", "", [&](auto k) { return c.string(k); });
    std::string password_file =
        optional<std::string>(c, "basic_auth_password_file", "", [&](auto k) { return c.string(k); });
    if (s.basic_auth_user.empty() != password_file.empty())
        throw zzp::config_error(s.basic_auth_user.empty() ? "basic_auth_password_file" : "basic_auth_user",
                                "basic authentication needs both basic_auth_user and basic_auth_password_file");
    if (s.basic_auth_user.find(':') != std::string::npos ||
        std::any_of(s.basic_auth_user.begin(), s.basic_auth_user.end(),
                    [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
        throw zzp::config_error("basic_auth_user", "basic_auth_user may not contain ':' or control characters");
    if (!password_file.empty()) {
        try {
            s.basic_auth_password = read_secret_file(password_file, warnings);
        } catch (const std::exception& e) {
            throw zzp::config_error("basic_auth_password_file", e.what());
        }
    }
    std::string token_file = optional<std::string>(c, "bearer_token_file", "", [&](auto k) { return c.string(k); });
    if (!token_file.empty()) {
        try {
            s.bearer_token = read_secret_file(token_file, warnings);
        } catch (const std::exception& e) {
            throw zzp::config_error("bearer_token_file", e.what());
        }
        if (s.bearer_token.find_first_of(" \t") != std::string::npos)
            throw zzp::config_error("bearer_token_file", "the bearer token may not contain spaces");
    }

    int64_t max_connections = optional<int64_t>(c, "max_connections", 16, [&](auto k) { return c.integer(k); });
    if (max_connections < 1 || max_connections > 1024)
        throw zzp::config_error("max_connections", "max_connections must be between 1 and 1024");
    s.max_connections = static_cast<uint32_t>(max_connections);

    s.request_timeout_ns =
        optional<int64_t>(c, "request_timeout", 10 * kSecondNs, [&](auto k) { return c.duration(k).count(); });
    if (s.request_timeout_ns < 100'000'000 || s.request_timeout_ns > 600 * kSecondNs)
        throw zzp::config_error("request_timeout", "request_timeout must be between \"100ms\" and \"10m\"");

    s.allow_unauthenticated_remote =
        optional<bool>(c, "allow_unauthenticated_remote", false, [&](auto k) { return c.boolean(k); });
    if (!is_loopback(s.listen_address) && !s.auth_required() && !s.allow_unauthenticated_remote)
        throw zzp::config_error(
            "listen", "refusing to serve metrics without authentication on " + s.listen_text +
                          ": anyone who can reach it could read them. Set basic_auth_user + basic_auth_password_file "
                          "or bearer_token_file, listen on loopback (\"" +
                          kDefaultListen + "\"), or, on a trusted network only, allow_unauthenticated_remote = true");
    bool allow_covers_remote = std::any_of(s.allow.begin(), s.allow.end(), [](const Cidr& n) {
        return !(n.network.is_loopback() && n.prefix >= (n.network.is_v4() ? 8u : 128u));
    });
    if (!is_loopback(s.listen_address) && !allow_covers_remote && warnings)
        warnings->push_back("listening on " + s.listen_text +
                            " but 'allow' admits loopback clients only: remote Prometheus servers will get 403");
    return s;
}

}  // namespace zzp::prom
