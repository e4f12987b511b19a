// The zzprobe recording format (docs/FORMAT.md): constants and the plain structs shared by the
// writer, the reader, the pyramid and the tool. Nothing here crosses the plugin ABI.
#pragma once

#include <zzprobe/frame.h>
#include <zzprobe/sample.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace zzp::rec {

inline constexpr char kFileMagic[8] = {'Z', 'Z', 'P', 'R', 'E', 'C', '1', '\n'};
inline constexpr size_t kFileMagicSize = sizeof kFileMagic;
inline constexpr const char* kSchema = "zzprobe.recording";
// 2: frame chunks as predicted Rice-coded columns (version 1: varint columns); readers also read 1.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr const char* kFileExtension = ".zzr";
// The finest pyramid level a closed file stores: version 2 leaves out level 1 (its nodes cost
// more than the frames' statistics are worth; readers build it from the frames on first use).
inline constexpr int first_stored_level(uint32_t version) { return version >= 2 ? 2 : 1; }

// Record types (one byte in every record frame).
enum class RecordType : uint8_t {
    header = 'H',   // file header: schema, version, precision, targets known at creation
    targets = 'T',  // targets that appeared after the header was written
    frames = 'F',   // a chunk of final frames (all targets, one time range)
    samples = 'S',  // a chunk of raw samples
    pyramid = 'P',  // one level of one target's level-of-detail pyramid
    index = 'X',    // the footer: chunk index and pyramid directory, written at close
    end = 'E',      // the trailer: offset of the footer; always the last record of a closed file
};

// Record flags.
inline constexpr uint8_t kRecordZstd = 0x01;  // the payload is one zstd frame

// Who stored a target and how. `id` is only meaningful inside one file (the host interns ids
// per run); across files a target is identified by key().
struct TargetMeta {
    uint32_t id = 0;
    std::string name;
    std::string address;
    std::string method;
    std::string probe;
    int64_t interval_ns = 0;
    std::string key() const { return name + "|" + address + "|" + method + "|" + probe; }
    bool operator==(const TargetMeta&) const = default;
};

struct FileHeader {
    std::string schema = kSchema;
    uint32_t version = kFormatVersion;
    std::string writer;          // "zzp-file 0.1.0"
    std::string instance;        // the sink instance id
    int64_t created_wall_ns = 0;
    int64_t period_start_ns = 0;  // start of the rotation period the file belongs to
    double precision = 0.01;     // quantizer precision p (relative error <= p/2)
    int64_t frame_interval_ns = 0;  // the usual frame interval (targets carry their own)
    bool has_samples = false;
    std::vector<TargetMeta> targets;
};

// A readable, checked error about a file: what, where (path and byte offset), what to do.
class FormatError : public std::runtime_error {
public:
    FormatError(const std::string& message, uint64_t offset)
        : std::runtime_error(message), offset_(offset) {}
    uint64_t offset() const { return offset_; }

private:
    uint64_t offset_;
};

}  // namespace zzp::rec
