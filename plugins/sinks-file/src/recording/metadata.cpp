#include "metadata.hpp"

#include "msgpack_util.hpp"

namespace zzp::rec {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_target(Packer& pk, const TargetMeta& t) {
    pk.pack_map(6);
    pk.pack("id");
    pk.pack(t.id);
    pk.pack("name");
    pk.pack(t.name);
    pk.pack("address");
    pk.pack(t.address);
    pk.pack("method");
    pk.pack(t.method);
    pk.pack("probe");
    pk.pack(t.probe);
    pk.pack("interval_ns");
    pk.pack(t.interval_ns);
}

TargetMeta unpack_target(const msgpack::object& o) {
    TargetMeta t;
    t.id = static_cast<uint32_t>(mp::uinteger(mp::require(o, "id", "target"), "target id"));
    t.name = mp::string(mp::require(o, "name", "target"), "target name");
    t.address = mp::string(mp::require(o, "address", "target"), "target address");
    if (auto* m = mp::find(o, "method")) t.method = mp::string(*m, "target method");
    if (auto* p = mp::find(o, "probe")) t.probe = mp::string(*p, "target probe");
    t.interval_ns = mp::integer(mp::require(o, "interval_ns", "target"), "target interval");
    if (t.interval_ns <= 0) throw FormatError("target '" + t.name + "' has a non-positive frame interval", 0);
    return t;
}

void pack_targets(Packer& pk, const std::vector<TargetMeta>& targets) {
    pk.pack_array(static_cast<uint32_t>(targets.size()));
    for (const auto& t : targets) pack_target(pk, t);
}

std::vector<TargetMeta> unpack_targets(const msgpack::object& o) {
    std::vector<TargetMeta> out;
    const auto& a = mp::array(o, "targets");
    for (uint32_t i = 0; i < a.size; ++i) out.push_back(unpack_target(a.ptr[i]));
    return out;
}

}  // namespace

std::string encode_header(const FileHeader& h) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(10);
    pk.pack("schema");
    pk.pack(h.schema);
    pk.pack("version");
    pk.pack(h.version);
    pk.pack("writer");
    pk.pack(h.writer);
    pk.pack("instance");
    pk.pack(h.instance);
    pk.pack("created_ns");
    pk.pack(h.created_wall_ns);
    pk.pack("period_start_ns");
    pk.pack(h.period_start_ns);
    pk.pack("precision");
    pk.pack(h.precision);
    pk.pack("frame_interval_ns");
    pk.pack(h.frame_interval_ns);
    pk.pack("samples");
    pk.pack(h.has_samples);
    pk.pack("targets");
    pack_targets(pk, h.targets);
    return std::string(buf.data(), buf.size());
}

FileHeader decode_header(std::string_view payload) {
    auto handle = mp::unpack(payload, "file header");
    const auto& o = handle.get();
    FileHeader h;
    h.schema = mp::string(mp::require(o, "schema", "file header"), "schema");
    if (h.schema != kSchema) throw FormatError("the header's schema is '" + h.schema + "', not '" + kSchema + "'", 0);
    h.version = static_cast<uint32_t>(mp::uinteger(mp::require(o, "version", "file header"), "version"));
    if (h.version > kFormatVersion)
        throw FormatError("the file is format version " + std::to_string(h.version) + "; this reader knows up to " +
                              std::to_string(kFormatVersion) + " — use a newer zzprobe-file",
                          0);
    h.writer = mp::string(mp::require(o, "writer", "file header"), "writer");
    if (auto* v = mp::find(o, "instance")) h.instance = mp::string(*v, "instance");
    h.created_wall_ns = mp::integer(mp::require(o, "created_ns", "file header"), "created_ns");
    if (auto* v = mp::find(o, "period_start_ns")) h.period_start_ns = mp::integer(*v, "period_start_ns");
    h.precision = mp::number(mp::require(o, "precision", "file header"), "precision");
    if (!(h.precision > 0 && h.precision <= 1)) throw FormatError("the header's precision is not in (0, 1]", 0);
    h.frame_interval_ns = mp::integer(mp::require(o, "frame_interval_ns", "file header"), "frame_interval_ns");
    if (auto* v = mp::find(o, "samples")) h.has_samples = mp::boolean(*v, "samples");
    h.targets = unpack_targets(mp::require(o, "targets", "file header"));
    return h;
}

std::string encode_targets(const std::vector<TargetMeta>& targets) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pack_targets(pk, targets);
    return std::string(buf.data(), buf.size());
}

std::vector<TargetMeta> decode_targets(std::string_view payload) {
    auto handle = mp::unpack(payload, "targets record");
    return unpack_targets(handle.get());
}

std::string encode_index(const FileIndex& index) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(5);
    pk.pack("chunks");
    pk.pack_array(static_cast<uint32_t>(index.chunks.size()));
    for (const auto& c : index.chunks) {
        // Items 5-8 (sizes, flags, CRC) let a reader skip reading each chunk's frame when it
        // opens the file; readers that know only the first four ignore them.
        pk.pack_array(8);
        pk.pack(c.offset);
        pk.pack(static_cast<uint8_t>(c.type));
        pk.pack(c.t_first);
        pk.pack(c.t_last);
        pk.pack(c.payload_size);
        pk.pack(c.raw_size);
        pk.pack(c.flags);
        pk.pack(c.crc);
    }
    pk.pack("pyramid");
    pk.pack_array(static_cast<uint32_t>(index.pyramid.size()));
    for (const auto& p : index.pyramid) {
        pk.pack_array(3);
        pk.pack(p.target_id);
        pk.pack(p.level);
        pk.pack(p.offset);
    }
    pk.pack("targets");
    pack_targets(pk, index.targets);
    pk.pack("frames");
    pk.pack(index.frames);
    pk.pack("samples");
    pk.pack(index.samples);
    return std::string(buf.data(), buf.size());
}

FileIndex decode_index(std::string_view payload) {
    auto handle = mp::unpack(payload, "footer index");
    const auto& o = handle.get();
    FileIndex index;
    const auto& chunks = mp::array(mp::require(o, "chunks", "footer index"), "chunk list");
    index.chunk_frames = chunks.size > 0;
    for (uint32_t i = 0; i < chunks.size; ++i) {
        const auto& c = mp::array(chunks.ptr[i], "chunk entry", 4);
        RecordFrame f;
        f.offset = mp::uinteger(c.ptr[0], "chunk offset");
        auto type = static_cast<uint8_t>(mp::uinteger(c.ptr[1], "chunk type"));
        if (!known_record_type(type)) throw FormatError("footer lists a chunk of unknown type", 0);
        f.type = static_cast<RecordType>(type);
        f.t_first = mp::integer(c.ptr[2], "chunk start");
        f.t_last = mp::integer(c.ptr[3], "chunk end");
        if (c.size >= 8) {
            f.payload_size = static_cast<uint32_t>(mp::uinteger(c.ptr[4], "chunk size"));
            f.raw_size = static_cast<uint32_t>(mp::uinteger(c.ptr[5], "chunk raw size"));
            f.flags = static_cast<uint8_t>(mp::uinteger(c.ptr[6], "chunk flags"));
            f.crc = static_cast<uint32_t>(mp::uinteger(c.ptr[7], "chunk checksum"));
            // The same plausibility rules as a frame read from the file.
            if (f.payload_size > kMaxPayload || f.raw_size > kMaxPayload || (f.flags & ~kRecordZstd) ||
                (!(f.flags & kRecordZstd) && f.raw_size != f.payload_size))
                throw FormatError("footer lists a chunk with impossible sizes or flags", 0);
        } else {
            index.chunk_frames = false;
        }
        index.chunks.push_back(f);
    }
    const auto& pyr = mp::array(mp::require(o, "pyramid", "footer index"), "pyramid list");
    for (uint32_t i = 0; i < pyr.size; ++i) {
        const auto& p = mp::array(pyr.ptr[i], "pyramid entry", 3);
        index.pyramid.push_back({static_cast<uint32_t>(mp::uinteger(p.ptr[0], "pyramid target")),
                                 static_cast<int>(mp::integer(p.ptr[1], "pyramid level")),
                                 mp::uinteger(p.ptr[2], "pyramid offset")});
    }
    index.targets = unpack_targets(mp::require(o, "targets", "footer index"));
    if (auto* v = mp::find(o, "frames")) index.frames = mp::uinteger(*v, "frames");
    if (auto* v = mp::find(o, "samples")) index.samples = mp::uinteger(*v, "samples");
    return index;
}

}  // namespace zzp::rec

namespace zzp::rec {

std::string encode_checkpoint(const Checkpoint& c) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(4);
    // The keys every index record has (empty), so that any reader can decode the record.
    pk.pack("chunks");
    pk.pack_array(0);
    pk.pack("pyramid");
    pk.pack_array(0);
    pk.pack("targets");
    pk.pack_array(0);
    pk.pack("checkpoint");
    pk.pack_array(2);
    pk.pack(c.data_ns);
    pk.pack_array(static_cast<uint32_t>(c.targets.size()));
    for (const auto& t : c.targets) {
        std::string level = encode_pyramid_level(t.target_id, kCheckpointLevel, t.width_ns, t.nodes);
        pk.pack_array(2);
        pk.pack(t.until_ns);
        pk.pack_bin(static_cast<uint32_t>(level.size()));
        pk.pack_bin_body(level.data(), static_cast<uint32_t>(level.size()));
    }
    return std::string(buf.data(), buf.size());
}

std::optional<Checkpoint> decode_checkpoint(std::string_view payload) {
    auto handle = mp::unpack(payload, "index record");
    const msgpack::object* o = mp::find(handle.get(), "checkpoint");
    if (!o) return std::nullopt;
    const auto& a = mp::array(*o, "checkpoint", 2);
    Checkpoint c;
    c.data_ns = mp::integer(a.ptr[0], "checkpoint data time");
    const auto& targets = mp::array(a.ptr[1], "checkpoint targets");
    for (uint32_t i = 0; i < targets.size; ++i) {
        const auto& e = mp::array(targets.ptr[i], "checkpoint target", 2);
        CheckpointTarget t;
        t.until_ns = mp::integer(e.ptr[0], "checkpoint until");
        int level = 0;
        decode_pyramid_level(mp::bin(e.ptr[1], "checkpoint nodes"), t.target_id, level, t.width_ns, t.nodes);
        if (level != kCheckpointLevel) throw FormatError("checkpoint holds pyramid level " + std::to_string(level), 0);
        for (const auto& n : t.nodes)
            if (n.start_ns >= t.until_ns) throw FormatError("checkpoint holds a node past its own limit", 0);
        c.targets.push_back(std::move(t));
    }
    return c;
}

}  // namespace zzp::rec
