// libFuzzer target: every datagram decoder of the stream protocol, with and without a key.
// Built with clang++-14 -fsanitize=fuzzer,address,undefined (see CMakeLists.txt next to it).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const zzp::stream::AuthKey key("fuzzing-secret-0123456789");
    std::string_view datagram(reinterpret_cast<const char*>(data), size);
    std::vector<zzp::stream::TargetRecord> targets;
    std::vector<zzp_frame> frames;
    for (const zzp::stream::AuthKey* k : {static_cast<const zzp::stream::AuthKey*>(nullptr), &key}) {
        zzp::stream::Message m;
        if (zzp::stream::decode_datagram(datagram, k, m) == zzp::stream::DecodeStatus::kOk &&
            m.type == zzp::stream::MsgType::kData)
            zzp::stream::decode_records(m.records, targets, frames);
    }
    // The record decoder on raw input too: the MAC normally shields it, a bug must not.
    zzp::stream::decode_records(datagram, targets, frames);
    return 0;
}
