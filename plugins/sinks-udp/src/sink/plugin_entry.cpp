// The library's entry: the sink "udp-stream" and its receiving side as a relay probe,
// "udp-stream-source" (src/source).
#include <zzp_sample_config.h>

#include "udp_stream_sink.hpp"
#include "udp_stream_source.hpp"

namespace zzp::stream {

static const zzp_config_key kKeys[] = {
    zzp::key("listen", ZZP_CFG_STRING, "\"127.0.0.1:7879\"",
             "UDP address:port to serve viewers on; non-loopback needs secret_file", ZZP_KEY_SWAP_FIXED),
    zzp::key("history", ZZP_CFG_DURATION, "\"1h\"", "how much history to keep in memory for newcomers"),
    zzp::key("max_subscribers", ZZP_CFG_INT, "16", "viewers served at once; more are refused"),
    zzp::key("secret_file", ZZP_CFG_STRING, nullptr,
             "file with a shared secret (>= 16 bytes); every datagram is then authenticated"),
    zzp::key("allow_unauthenticated_remote", ZZP_CFG_BOOL, "false",
             "serve a non-loopback address without a secret (trusted networks only)"),
    zzp::key("subscriber_timeout", ZZP_CFG_DURATION, "\"10s\"", "drop a viewer silent for this long"),
    zzp::key("replay_rate", ZZP_CFG_SIZE, "\"128MiB\"", "bytes per second per viewer for history and repairs"),
    zzp::key("replay_window", ZZP_CFG_DURATION, "\"60s\"",
             "with a secret: accepted age of a subscribe request (viewer and sink clocks must agree this well)"),
};

const zzp_plugin_descriptor kUdpStreamDescriptor = zzp::describe(
    ZZP_KIND_SINK, "udp-stream", "Live UDP stream", "1.0.0",
    "Streams live and final frames to viewers over UDP (MessagePack datagrams, docs/STREAM.md): history for "
    "newcomers, per-subscription sequence numbers with repair of lost datagrams, optional HMAC authentication.",
    kKeys, zzp_sample_config);

}  // namespace zzp::stream

ZZP_PLUGIN_LIBRARY("zzp-udp-stream", "1.0.0", zzp::entry<zzp::stream::UdpStreamSink>(zzp::stream::kUdpStreamDescriptor),
                   zzp::entry<zzp::stream::UdpStreamSource>(zzp::stream::kUdpStreamSourceDescriptor))
