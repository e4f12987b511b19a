// The original tool's recordings (ZZPING_REFERENCE.md): FrameData daemon logs and FrameDataQ
// ("FDQ") files, read into zzp_frames for `import`, and FDQ written for `export`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "format.hpp"

namespace zzp::rec {

struct LegacyImport {
    std::vector<zzp_frame> frames;  // target_id 1, time ordered
    std::string host;               // from the file name, when known
    int64_t interval_ns = 0;        // median spacing of the frames
    bool truncated_tail = false;    // a frame cut short at the end was dropped
    std::string kind;               // "FrameData" or "FrameDataQ"
};

// "pingd-log-192.0.2.1-20240501T13.log" -> "192.0.2.1"; empty when the name does not say.
std::string host_from_legacy_name(const std::string& path);

// Detect and parse either format. Throws FormatError with the byte offset for bad input,
// including FDQ files with the broken delta_enc, and FDQ versions newer than 101.
LegacyImport read_legacy(const std::string& bytes, const std::string& path);
LegacyImport read_framedata(const std::string& bytes, const std::string& path);
LegacyImport read_fdq(const std::string& bytes, const std::string& path);

// Encode one target's frames as FDQ (version 101, delta_enc false) with the quantizer at
// `precision` (nullopt: unquantized). RTTs become µs, times ms, counts saturate at u16.
std::string write_fdq(const std::vector<zzp_frame>& frames, std::optional<double> precision, int64_t full_encode_secs = 60);

// RFC 3339 UTC with microseconds, as the original wrote it: "2024-05-01T13:00:00.000000+00:00".
std::string rfc3339_micros(int64_t unix_ns);
// Parse that (also "Z" and other offsets); false when it is not a timestamp.
bool parse_rfc3339(const std::string& text, int64_t& unix_ns);

}  // namespace zzp::rec
