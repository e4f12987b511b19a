#include "prometheus_sink.hpp"

#include <zzp_sample_config.h>

#include <boost/version.hpp>

#include <cinttypes>
#include <cstdio>

namespace zzp::prom {
namespace {

constexpr int64_t kCacheMaxAgeNs = 1'000'000'000;

const zzp_config_key kKeys[] = {
    zzp::key("listen", ZZP_CFG_STRING, "\"127.0.0.1:9791\"",
             "numeric address:port to serve on (\"[::1]:9791\" for IPv6); non-loopback needs authentication"),
    zzp::key("path", ZZP_CFG_STRING, "\"/metrics\"", "URL path of the metrics"),
    zzp::list_key("labels", ZZP_CFG_STRING, "[]", "static labels added to every series, \"name=value\" (e.g. \"site=paris\")"),
    zzp::list_key("buckets", ZZP_CFG_FLOAT,
                  "[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]",
                  "RTT histogram bucket upper bounds in seconds (+Inf is added)", ZZP_KEY_SWAP_FIXED),
    zzp::key("summary_window", ZZP_CFG_DURATION, "\"1m\"", "the summary quantiles (p50, p90, p99) cover this much of the latest replies (1s to 1h)"),
    zzp::key("summary_max_samples", ZZP_CFG_INT, "20000", "at most this many RTTs per target are kept for the summary window"),
    zzp::key("up_window", ZZP_CFG_DURATION, "\"10s\"", "zzprobe_target_up is 1 when a reply arrived within this long"),
    zzp::list_key("allow", ZZP_CFG_STRING, "[\"127.0.0.0/8\", \"::1/128\"]",
                  "client networks that may scrape (CIDR); others get 403"),
    zzp::key("basic_auth_user", ZZP_CFG_STRING, nullptr, "require HTTP basic authentication with this user name"),
    zzp::key("basic_auth_password_file", ZZP_CFG_STRING, nullptr, "file holding the basic authentication password"),
    zzp::key("bearer_token_file", ZZP_CFG_STRING, nullptr, "file holding a bearer token that is accepted"),
    zzp::key("max_connections", ZZP_CFG_INT, "16", "scrape connections served at once; more get 503"),
    zzp::key("request_timeout", ZZP_CFG_DURATION, "\"10s\"", "a client gets this long to send a request and to read the answer"),
    zzp::key("allow_unauthenticated_remote", ZZP_CFG_BOOL, "false",
             "serve a non-loopback address without authentication (trusted networks only)"),
};

std::string build_labels() {
    char fingerprint[32];
    std::snprintf(fingerprint, sizeof fingerprint, "0x%016" PRIx64, static_cast<uint64_t>(ZZP_ABI_FINGERPRINT));
    std::string boost_version = std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                                "." + std::to_string(BOOST_VERSION % 100);
    std::string s;
    append_label(s, "plugin", "prometheus");
    s += ',';
    append_label(s, "version", ZZP_PROMETHEUS_VERSION);
    s += ',';
    append_label(s, "abi_version", std::to_string(ZZP_ABI_MAJOR) + "." + std::to_string(ZZP_ABI_MINOR));
    s += ',';
    append_label(s, "abi_fingerprint", fingerprint);
    s += ',';
    append_label(s, "boost_version", boost_version);
    s += ',';
#if defined(__clang__)
    append_label(s, "compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
    append_label(s, "compiler", std::string("gcc ") + __VERSION__);
#else
    append_label(s, "compiler", "unknown");
#endif
    return s;
}

}  // namespace

const zzp_plugin_descriptor kPrometheusDescriptor = zzp::describe(
    ZZP_KIND_SINK, "prometheus", "Prometheus exporter", ZZP_PROMETHEUS_VERSION,
    "Serves per probe and target: echo requests, replies, lost, errors, late and duplicate replies (counters), an "
    "RTT histogram and p50/p90/p99 summary, the last RTT and an up gauge, in the Prometheus text format or "
    "OpenMetrics, over HTTP on loopback by default (optional basic or bearer authentication, client allow-list). "
    "Counters survive a hot swap.",
    kKeys, zzp_sample_config);

void PrometheusSink::configure(const zzp::Config& c) {
    std::vector<std::string> warnings;
    settings_ = parse_settings(c, &warnings);
    for (const std::string& w : warnings) host().log(ZZP_LOG_WARN, "%s", w.c_str());

    std::string static_labels;
    for (const auto& [name, value] : settings_.labels) {
        static_labels += ',';
        append_label(static_labels, name, value);
    }
    StoreOptions so;
    so.bucket_bounds_s = settings_.buckets;
    so.window_ns = settings_.summary_window_ns;
    so.window_max_samples = settings_.summary_max_samples;
    so.up_window_ns = settings_.up_window_ns;
    so.static_labels = static_labels;
    store_ = std::make_unique<MetricsStore>(so);

    render_info_.bucket_bounds_s = settings_.buckets;
    render_info_.static_labels = static_labels;
    render_info_.build_labels = build_labels();
}

std::shared_ptr<const std::string> PrometheusSink::render(Format format) {
    Cached& c = cache_[format == Format::OpenMetrics ? 1 : 0];
    const int64_t now = host().wall_now_ns();
    const uint64_t version = store_->version();
    if (c.body && c.version == version && now - c.at_wall_ns >= 0 && now - c.at_wall_ns < kCacheMaxAgeNs) return c.body;
    auto body = std::make_shared<std::string>();
    prom::render(*body, format, store_->snapshot(now), render_info_);
    c = Cached{version, now, body};
    return body;
}

void PrometheusSink::start() {
    if (!store_) throw zzp::Error(ZZP_E_STATE, "start before configure");
    ServerOptions o;
    o.address = settings_.listen_address;
    o.port = settings_.listen_port;
    o.path = settings_.path;
    o.allow = settings_.allow;
    o.basic_user = settings_.basic_auth_user;
    o.basic_password = settings_.basic_auth_password;
    o.bearer_token = settings_.bearer_token;
    o.max_connections = settings_.max_connections;
    o.request_timeout_ns = settings_.request_timeout_ns;
    o.render = [this](Format f) { return render(f); };
    const zzp::Host& h = host();
    o.log = [h](int level, const std::string& m) { h.log(static_cast<zzp_log_level>(level), "%s", m.c_str()); };
    auto server = std::make_unique<HttpServer>(std::move(o));
    try {
        server->start();
    } catch (const std::exception& e) {
        throw zzp::Error(ZZP_E_IO, "listen", e.what());
    }
    server_ = std::move(server);
    std::string where = settings_.listen_address.is_v6() ? "[" + settings_.listen_address.to_string() + "]"
                                                          : settings_.listen_address.to_string();
    host().log(ZZP_LOG_INFO, "serving metrics on http://%s:%u%s%s", where.c_str(), static_cast<unsigned>(server_->port()),
               settings_.path.c_str(), settings_.auth_required() ? " (authentication required)" : "");
}

void PrometheusSink::stop(int64_t) {
    if (!server_) return;
    server_->stop();
    ServerStats s = server_->stats();
    host().log(ZZP_LOG_INFO,
               "prometheus sink stopped: %" PRIu64 " scrapes, %" PRIu64 " connections, %" PRIu64
               " client errors (%" PRIu64 " forbidden, %" PRIu64 " unauthorized), %" PRIu64 " refused busy, %" PRIu64
               " timeouts",
               s.scrapes, s.connections, s.client_errors, s.forbidden, s.unauthorized, s.refused_busy, s.timeouts);
    server_.reset();
}

void PrometheusSink::on_target(const zzp_target_info& t) {
    if (!store_) return;
    TargetMeta m{t.probe ? t.probe : "", t.name ? t.name : "", t.address ? t.address : "", t.method ? t.method : ""};
    store_->on_target(t.id, m);
}

zzp_status PrometheusSink::write(const zzp_batch& batch) {
    // Already counted by the predecessor of a hot swap: counting it again would double it.
    if (batch.seq != 0 && batch.seq <= restored_seq_) return ZZP_OK;
    if (store_ && batch.kind == ZZP_BATCH_SAMPLES && batch.samples) store_->apply(batch.samples, batch.count);
    return ZZP_OK;
}

std::string PrometheusSink::save_state() {
    zzp::StateWriter w;
    w.u64(std::max(last_taken_seq(), restored_seq_));
    w.str(store_ ? store_->save() : std::string());
    return w.bytes();
}

void PrometheusSink::load_state(uint32_t format, const std::string& bytes) {
    if (format != 1) throw zzp::Error(ZZP_E_UNSUPPORTED, "unknown prometheus sink state format " + std::to_string(format));
    if (!store_) throw zzp::Error(ZZP_E_STATE, "load_state before configure");
    if (server_) throw zzp::Error(ZZP_E_STATE, "load_state after start");
    zzp::StateReader r(bytes);
    uint64_t seq = r.u64();
    std::string store = r.str();
    if (!r.at_end()) throw zzp::Error(ZZP_E_INVALID, "prometheus sink state is corrupt (trailing bytes)");
    if (!store.empty()) store_->load(store);
    restored_seq_ = seq;
    note_taken_(seq);  // durable_seq() reports it, so the host resends only what came after
}

}  // namespace zzp::prom
