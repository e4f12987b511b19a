// Frame section columns of format version 2 (docs/FORMAT.md, "Frame chunks"): predicted,
// Rice-coded columns in one bit stream, decoded in bulk into arrays.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format.hpp"
#include "quantizer.hpp"

namespace zzp::rec {

// Rows of one frame section at most (writers split longer runs into several sections).
inline constexpr uint64_t kMaxSectionFrames = 1u << 16;

// Encode one target's frames (given in stored order) into the section's `columns` bytes.
// `unit` is the section's time unit, t0 the first frame's start.
std::string encode_frame_columns_v2(std::span<const zzp_frame* const> frames, int64_t t0, int64_t unit,
                                    const Quantizer& q);
// Append the n frames of one section to `out`. Throws FormatError on malformed columns.
void decode_frame_columns_v2(std::string_view columns, uint32_t target, uint64_t n, int64_t t0, int64_t unit,
                             const Quantizer& q, std::vector<zzp_frame>& out);

}  // namespace zzp::rec
