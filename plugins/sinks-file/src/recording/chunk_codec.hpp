// Chunk payloads: frames and raw samples of one time range, per target, as delta-coded columns
// of varints with RTTs quantized (docs/FORMAT.md, "Frame chunks", "Sample chunks").
#pragma once

#include <span>
#include <string>
#include <vector>

#include "format.hpp"
#include "quantizer.hpp"

namespace zzp::rec {

// Who wrote a chunk and which host batches it holds (the hot-swap checks read these).
struct ChunkOrigin {
    std::string writer;            // plugin id and version, "file 0.1.0"
    uint64_t first_batch_seq = 0;  // 0 when not from a host batch (import, aggregate)
    uint64_t last_batch_seq = 0;
};

// The frame as it will read back: RTTs passed through the quantizer.
zzp_frame quantized_frame(const zzp_frame& f, const Quantizer& q);
zzp_sample quantized_sample(const zzp_sample& s, const Quantizer& q);

// Encode frames (any targets, any order; order within a target is kept). Returns the raw
// payload; t_first/t_last receive the earliest and latest frame start. Without `version`: the
// current kFormatVersion; a file's chunks are written in the version of its header.
std::string encode_frames(const ChunkOrigin& origin, std::span<const zzp_frame> frames, const Quantizer& q,
                          int64_t& t_first, int64_t& t_last);
std::string encode_frames(uint32_t version, const ChunkOrigin& origin, std::span<const zzp_frame> frames,
                          const Quantizer& q, int64_t& t_first, int64_t& t_last);
// Decode a frame chunk payload, appending to `out` (grouped by target, in stored order).
// Without `version`: the current kFormatVersion.
void decode_frames(std::string_view payload, const Quantizer& q, ChunkOrigin& origin, std::vector<zzp_frame>& out);
void decode_frames(uint32_t version, std::string_view payload, const Quantizer& q, ChunkOrigin& origin,
                   std::vector<zzp_frame>& out);

std::string encode_samples(const ChunkOrigin& origin, std::span<const zzp_sample> samples, const Quantizer& q,
                           int64_t& t_first, int64_t& t_last);
void decode_samples(std::string_view payload, const Quantizer& q, ChunkOrigin& origin, std::vector<zzp_sample>& out);

}  // namespace zzp::rec
