// udp_echo_probe_runner: runs one udp-echo probe instance (loaded through the C ABI, fed by a
// FakeHost) for a while and writes every sample as a line — so a test can run the prober inside
// a network namespace with `ip netns exec` while the checks stay in the test process.
//   udp_echo_probe_runner CONFIG.toml SECONDS OUT.txt
// Output lines: "<seq> <status> <flags> <rtt_ns> <detail> <sent_wall_ns>"; then "counters <name>=<value>...".
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "../plugin_harness.hpp"

using namespace zzp::udp_echo::test;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: udp_echo_probe_runner CONFIG.toml SECONDS OUT.txt\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream toml;
    toml << in.rdbuf();
    try {
        Library lib;
        zzp::test::FakeHost host;
        Instance probe(lib, "udp-echo", host);
        if (probe.configure(toml.str()) != ZZP_OK) {
            std::fprintf(stderr, "configure: %s: %s\n", probe.error().key, probe.error().message);
            return 1;
        }
        if (probe.start() != ZZP_OK) {
            std::fprintf(stderr, "start: %s\n", probe.error().message);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(argv[2])));
        probe.stop(5000000000);
        FILE* out = std::fopen(argv[3], "w");
        if (!out) return 1;
        for (const zzp_sample& s : host.samples())
            std::fprintf(out, "%llu %u %u %lld %u %lld\n", static_cast<unsigned long long>(s.seq), s.status, s.flags,
                         static_cast<long long>(s.rtt_ns), s.detail, static_cast<long long>(s.sent_wall_ns));
        std::fprintf(out, "counters");
        for (const auto& [name, value] : probe.counters())
            std::fprintf(out, " %s=%llu", name.c_str(), static_cast<unsigned long long>(value));
        std::fprintf(out, "\n");
        std::fclose(out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "udp_echo_probe_runner: %s\n", e.what());
        return 1;
    }
    return 0;
}
