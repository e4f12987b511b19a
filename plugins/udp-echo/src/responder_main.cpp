// zzprobe-udp-responder: the bundled udp-echo responder as a standalone program for the far host.
//   zzprobe-udp-responder --listen 0.0.0.0:7790 --allow 192.0.2.0/24 --rate 500
// SIGINT/SIGTERM stop it (counters printed); SIGUSR1 prints the counters.
#include <signal.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "responder.hpp"
#include "responder_options.hpp"

namespace po = boost::program_options;
using namespace zzp::udp_echo;

namespace {

int64_t seconds_to_ns(double s) {
    return static_cast<int64_t>(std::llround(s * 1e9));
}

void print_counters(const Responder& r, const char* what) {
    std::fprintf(stderr, "zzprobe-udp-responder: %s: %s\n", what, r.counters().to_string().c_str());
}

}  // namespace

int main(int argc, char** argv) {
    ResponderOptions o;
    double hold_ms = 0, report_s = 300;
    po::options_description desc(
        "zzprobe-udp-responder: answers zzprobe udp-echo requests (stamping its own delay) from allowed "
        "sources only, never with a larger reply, rate-limited per source.\nOptions");
    desc.add_options()("help,h", "this help")(
        "listen,l", po::value<std::vector<std::string>>()->composing(),
        "address:port to answer on, repeatable (default 127.0.0.1:7790 and [::1]:7790)")(
        "allow,a", po::value<std::vector<std::string>>()->composing(),
        "source network in CIDR (192.0.2.0/24, 2001:db8::/32), repeatable (default loopback only)")(
        "rate,r", po::value<double>(&o.rate_per_source)->default_value(o.rate_per_source),
        "answers per second per source address (0 = unlimited)")(
        "burst,b", po::value<double>(&o.burst)->default_value(o.burst), "token bucket depth per source")(
        "max-request", po::value<uint64_t>(&o.max_request)->default_value(o.max_request),
        "refuse requests larger than this many bytes")("report-interval",
                                                       po::value<double>(&report_s)->default_value(report_s),
                                                       "print the counters every this many seconds (0 = only at exit)")(
        "hold-ms", po::value<double>(&hold_ms)->default_value(0),
        "benchmarks: answer each request this many ms after it arrived (stamped, so the prober subtracts it)");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "zzprobe-udp-responder: " << e.what() << "\n(try --help)\n";
        return 2;
    }
    if (vm.count("help")) {
        std::cout << desc << "\n";
        return 0;
    }
    if (vm.count("listen")) o.listen = vm["listen"].as<std::vector<std::string>>();
    if (vm.count("allow")) o.allow = vm["allow"].as<std::vector<std::string>>();
    o.hold_ns = static_cast<int64_t>(std::llround(hold_ms * 1e6));
    o.report_interval_ns = seconds_to_ns(report_s);

    ResponderConfig config;
    std::string key, error;
    if (!to_responder_config(o, &config, &key, &error)) {
        // Option names on the command line use dashes; the shared checker names TOML keys.
        std::cerr << "zzprobe-udp-responder: option " << key << ": " << error << "\n";
        return 2;
    }
    // Signals are taken synchronously by this thread; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    Responder responder;
    config.report = [&responder] { print_counters(responder, "counters"); };
    if (!responder.open(std::move(config), &error)) {
        std::cerr << "zzprobe-udp-responder: " << error << "\n";
        return 1;
    }
    std::string where;
    for (const Endpoint& e : responder.bound()) where += (where.empty() ? "" : " ") + e.to_string();
    std::fprintf(stderr, "zzprobe-udp-responder: listening on %s\n", where.c_str());
    std::fflush(stderr);
    responder.start();
    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGUSR1) {
            print_counters(responder, "counters");
            continue;
        }
        break;
    }
    responder.stop();
    print_counters(responder, "stopped");
    return 0;
}
