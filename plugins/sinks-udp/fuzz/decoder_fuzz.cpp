// libFuzzer target: every datagram decoder of the stream protocol, with and without a key.
// Built with clang++-14 -fsanitize=fuzzer,address,undefined (see CMakeLists.txt next to it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const zzp::stream::AuthKey key("fuzzing-secret-0123456789");
    std::string_view datagram(reinterpret_cast<const char*>(data), size);
    std::vector<zzp::stream::TargetRecord> targets;
    std::vector<zzp_frame> frames;
    zzp::stream::DecodedRecords in_pass;
    for (const zzp::stream::AuthKey* k : {static_cast<const zzp::stream::AuthKey*>(nullptr), &key}) {
        zzp::stream::Message m, m2;
        auto status = zzp::stream::decode_datagram(datagram, k, m);
        // The one-pass decoder (records decoded with the datagram) must agree with the two-pass one.
        auto status2 = zzp::stream::decode_datagram(datagram, k, m2, &in_pass);
        if (status != status2) std::abort();
        if (status == zzp::stream::DecodeStatus::kOk && m.type == zzp::stream::MsgType::kData) {
            bool ok = zzp::stream::decode_records(m.records, targets, frames);
            if (ok != m2.records_decoded || m.records != m2.records) std::abort();
            if (ok && (targets != in_pass.targets || frames.size() != in_pass.frames.size() ||
                       (!frames.empty() &&
                        std::memcmp(frames.data(), in_pass.frames.data(), frames.size() * sizeof(zzp_frame)) != 0)))
                std::abort();
        }
    }
    // The record decoder on raw input too: the MAC normally shields it, a bug must not.
    zzp::stream::decode_records(datagram, targets, frames);
    return 0;
}
