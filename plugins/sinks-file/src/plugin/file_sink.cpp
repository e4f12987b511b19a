#include "plugin/file_sink.hpp"

#include <zzp_sample_config.h>

#include <algorithm>
#include <filesystem>

#include "plugin/file_naming.hpp"

namespace zzp::file_sink {
namespace {

// A flush is forced when this many records wait in memory, whatever the interval says.
constexpr size_t kMaxPendingRecords = 1 << 20;
// A finished period's file stays open this long for frames that settle late.
constexpr int64_t kCloseGraceNs = 60'000'000'000;

const char* const kWriter = "file " ZZP_FILE_SINK_VERSION;

}  // namespace

void FileSink::configure(const zzp::Config& c) {
    Settings s;
    s.directory = c.string("directory");
    if (s.directory.empty()) throw zzp::config_error("directory", "'directory' must name a folder for the recordings");
    if (c.has("rotate")) s.rotate_ns = c.duration("rotate").count();
    if (s.rotate_ns < 1'000'000'000)
        throw zzp::config_error("rotate", "'rotate' must be at least 1s (files per period); the default is \"1h\"");
    if (86400'000'000'000 % s.rotate_ns != 0 && s.rotate_ns % 86400'000'000'000 != 0)
        throw zzp::config_error("rotate", "'rotate' must divide a day (e.g. \"10m\", \"1h\", \"6h\") or be whole days, "
                                          "so files start on round UTC times");
    if (c.has("rotate_size")) s.rotate_bytes = c.size("rotate_size");
    if (c.has("samples")) s.samples = c.boolean("samples");
    if (c.has("precision")) s.precision = c.number("precision");
    if (!(s.precision >= 0.0001 && s.precision <= 1))
        throw zzp::config_error("precision", "'precision' must be between 0.0001 and 1 (relative RTT error is half of it)");
    if (c.has("fsync_interval")) s.fsync_interval_ns = c.duration("fsync_interval").count();
    if (s.fsync_interval_ns < 0) throw zzp::config_error("fsync_interval", "'fsync_interval' must not be negative");
    if (c.has("sample_time_resolution")) s.sample_time_resolution_ns = c.duration("sample_time_resolution").count();
    if (s.sample_time_resolution_ns != 1 && s.sample_time_resolution_ns != 1000)
        throw zzp::config_error("sample_time_resolution", "'sample_time_resolution' must be \"1ns\" or \"1us\"");
    if (c.has("compression")) s.compression = static_cast<int>(c.integer("compression"));
    if (s.compression < 0 || s.compression > 19)
        throw zzp::config_error("compression", "'compression' is a zstd level from 0 (off) to 19");
    if (c.has("retain_age")) s.retention.max_age_ns = c.duration("retain_age").count();
    if (c.has("retain_size")) s.retention.max_bytes = c.size("retain_size");
    s.retention.rotate_ns = s.rotate_ns;
    settings_ = s;
    instance_ = host().instance_id();
}

// The C++ helper reads accepts() when the instance is created, before configure(), so it cannot
// depend on `samples`: take both and drop samples in write() unless asked to store them.
uint32_t FileSink::accepts() const { return ZZP_ACCEPT_FRAMES_FINAL | ZZP_ACCEPT_SAMPLES; }

void FileSink::start() {
    try {
        rec::make_directories(settings_.directory);
    } catch (const rec::IoError& e) {
        // Not fatal: the sink retries (with the host's back-off) until the folder can be made.
        report_failure(e.what());
    }
    continue_restored_files();
    const int64_t now = host().wall_now_ns();
    last_sync_ns_ = restored_last_sync_ns_ > 0 && restored_last_sync_ns_ <= now ? restored_last_sync_ns_ : now;
    run_retention(now);
}

void FileSink::continue_restored_files() {
    bool lost_unsynced = false;
    for (const RestoredFile& r : restored_files_) {
        OpenFile f;
        f.part = r.part;
        const char* how = "rescanned";
        if (!r.continuation.empty()) {
            try {
                f.writer = rec::FileWriter::adopt(r.path, settings_.compression, r.continuation);
                how = "handed over open";
            } catch (const std::exception& e) {
                host().log(ZZP_LOG_WARN, "cannot adopt %s as handed over (%s); scanning it instead", r.path.c_str(), e.what());
            }
        }
        try {
            if (!f.writer) f.writer = rec::FileWriter::reopen(r.path, settings_.compression);
        } catch (const std::exception& e) {
            host().log(ZZP_LOG_WARN, "cannot continue %s (%s); a new file will be started", r.path.c_str(), e.what());
            if (!r.continuation.empty()) lost_unsynced = true;
            continue;
        }
        for (const auto& t : f.writer->targets()) targets_.try_emplace(t.id, t);
        host().log(ZZP_LOG_INFO, "continuing %s at byte %llu (%s)", r.path.c_str(),
                   static_cast<unsigned long long>(f.writer->size()), how);
        files_[r.period] = std::move(f);
        newest_period_ = std::max(newest_period_, r.period);
    }
    restored_files_.clear();
    if (lost_unsynced && written_seq_ > durable_seq_) {
        // The predecessor's records after its last sync are in a file we cannot continue, so we
        // would never sync them: record those batches again instead of counting on them.
        host().log(ZZP_LOG_WARN, "batches %llu..%llu are recorded again in the new file",
                   static_cast<unsigned long long>(durable_seq_ + 1), static_cast<unsigned long long>(written_seq_));
        skip_through_seq_ = written_seq_ = durable_seq_;
    }
    // The predecessor left its last records unsynced for us (stop for a hand-over).
    if (written_seq_ > durable_seq_) unsynced_ = true;
}

bool FileSink::handing_over() const {
    const zzp_host* h = host().raw();
    if (!ZZP_STRUCT_HAS(h, zzp_host, get_extension) || !h->get_extension) return false;
    const auto* ext = static_cast<const zzp_handover_ext*>(h->get_extension(h, ZZP_HOST_EXT_HANDOVER));
    return ZZP_STRUCT_HAS(ext, zzp_handover_ext, handing_over) && ext->handing_over && ext->handing_over(h) != 0;
}

FileSink::~FileSink() {
    // Stopped for a hand-over that did not happen (save was never called): finish the files the
    // way a final stop does, so none is left without its footer. Files given up in save_state
    // are released and skipped: a successor owns them now.
    for (auto& [period, f] : files_) {
        if (!f.writer || !f.writer->is_open()) continue;
        try {
            f.writer->sync();
            f.writer->close();
        } catch (const std::exception& e) {
            host().log(ZZP_LOG_WARN, "%s (the file stays readable without its index)", e.what());
        }
    }
}

void FileSink::stop(int64_t) {
    if (handing_over()) {
        // A successor continues our files (save_state hands them over open): write what we hold
        // but leave the footer and the sync to it — they were most of a swap's pause. Durable
        // stays what we reported; the successor reports the rest once it synced it.
        if (!flush_pending(false))
            host().log(ZZP_LOG_ERROR, "stopping with unwritten data (%s); it stays in the host's queue", last_error_.c_str());
        return;
    }
    if (!flush_pending(true))
        host().log(ZZP_LOG_ERROR, "stopping with unwritten data (%s); it stays in the host's queue", last_error_.c_str());
    handover_files_.clear();
    for (auto it = files_.begin(); it != files_.end();) {
        int64_t period = it->first;
        if (it->second.writer) handover_files_.push_back({period, it->second.part, it->second.writer->path(), {}});
        ++it;
        close_file(period);
    }
}

void FileSink::on_target(const zzp_target_info& t) {
    rec::TargetMeta m;
    m.id = t.id;
    m.name = t.name ? t.name : "";
    m.address = t.address ? t.address : "";
    m.method = t.method ? t.method : "";
    m.probe = t.probe ? t.probe : "";
    m.interval_ns = t.interval_ns > 0 ? t.interval_ns : 100'000'000;
    targets_[t.id] = m;
}

int64_t FileSink::period_of(int64_t t) const { return rec::floor_div(t, settings_.rotate_ns) * settings_.rotate_ns; }

int64_t FileSink::route(int64_t t) const {
    int64_t p = period_of(t);
    // A record for a period whose file was already closed goes to the oldest open period:
    // recorded (its own time says when it happened), never lost, never reopening old files.
    if (closed_periods_.count(p) && !files_.empty()) return files_.begin()->first;
    if (closed_periods_.count(p)) return newest_period_ == INT64_MIN ? p : newest_period_;
    return p;
}

void FileSink::take(const zzp_batch& batch) {
    if (batch.kind == ZZP_BATCH_FRAMES && batch.frames) {
        for (uint32_t i = 0; i < batch.count; ++i) {
            const zzp_frame& f = batch.frames[i];
            if (!(f.flags & ZZP_FRAME_F_FINAL)) continue;  // stored data is final
            pending_[route(f.start_wall_ns)].frames.push_back(f);
        }
    } else if (batch.kind == ZZP_BATCH_SAMPLES && batch.samples && settings_.samples) {
        for (uint32_t i = 0; i < batch.count; ++i) {
            zzp_sample s = batch.samples[i];
            if (s.status == ZZP_SAMPLE_SENT) continue;
            if (settings_.sample_time_resolution_ns > 1)
                s.sent_wall_ns = rec::floor_div(s.sent_wall_ns, settings_.sample_time_resolution_ns) *
                                 settings_.sample_time_resolution_ns;
            pending_[route(s.sent_wall_ns)].samples.push_back(s);
        }
    }
    if (!pending_first_seq_) pending_first_seq_ = batch.seq;
    pending_last_seq_ = batch.seq;
}

zzp_status FileSink::write(const zzp_batch& batch) {
    if (batch.seq <= skip_through_seq_) return ZZP_OK;  // the predecessor recorded it
    int64_t now = host().wall_now_ns();
    if (failing_ && !flush_pending(true)) return ZZP_E_RETRY;
    take(batch);
    size_t held = 0;
    for (const auto& [p, d] : pending_) held += d.frames.size() + d.samples.size();
    if (now - last_sync_ns_ >= settings_.fsync_interval_ns || held >= kMaxPendingRecords) flush_pending(true);
    if (!failing_) close_finished_periods(now);
    return ZZP_OK;
}

void FileSink::flush() {
    // Right before a hand-over the successor syncs (see stop()).
    if (!flush_pending(!handing_over())) throw zzp::Error(ZZP_E_IO, last_error_);
}

rec::FileHeader FileSink::header_for(int64_t period) const {
    rec::FileHeader h;
    h.writer = kWriter;
    h.instance = instance_;
    h.created_wall_ns = host().wall_now_ns();
    h.period_start_ns = period;
    h.precision = settings_.precision;
    h.has_samples = settings_.samples;
    h.frame_interval_ns = targets_.empty() ? 100'000'000 : targets_.begin()->second.interval_ns;
    for (const auto& [id, t] : targets_) h.targets.push_back(t);
    return h;
}

rec::FileWriter& FileSink::writer_for(int64_t period) {
    auto it = files_.find(period);
    if (it != files_.end() && settings_.rotate_bytes && it->second.writer->size() >= settings_.rotate_bytes) {
        unsigned next = it->second.part + 1;
        close_file(period);
        closed_periods_.erase(period);  // a size split continues the same period
        it = files_.end();
        OpenFile f;
        f.part = next;
        files_[period] = std::move(f);
        it = files_.find(period);
    }
    if (it == files_.end() || !it->second.writer) {
        rec::make_directories(settings_.directory);
        unsigned part = it == files_.end() ? 0 : it->second.part;
        // Never overwrite: a restart in the same period (or a name taken by anything) gets -N.
        for (;; ++part) {
            std::string path = settings_.directory + "/" + file_name(instance_, period, part);
            std::error_code ec;
            if (std::filesystem::exists(path, ec)) continue;
            OpenFile f;
            f.part = part;
            f.writer = rec::FileWriter::create(path, header_for(period), settings_.compression);
            host().log(ZZP_LOG_INFO, "recording into %s", path.c_str());
            files_[period] = std::move(f);
            break;
        }
        newest_period_ = std::max(newest_period_, period);
        it = files_.find(period);
    }
    return *it->second.writer;
}

bool FileSink::flush_pending(bool force_sync) {
    try {
        rec::ChunkOrigin origin{kWriter, pending_first_seq_, pending_last_seq_};
        if (!pending_.empty()) unsynced_ = true;
        for (auto it = pending_.begin(); it != pending_.end();) {
            rec::FileWriter& w = writer_for(it->first);
            std::vector<rec::TargetMeta> needed;
            for (const auto& [id, t] : targets_) needed.push_back(t);
            w.add_targets(needed);
            // Each successful append leaves the pending list at once, so a later failure
            // never writes it twice.
            if (!it->second.frames.empty()) {
                w.append_frames(origin, it->second.frames);
                it->second.frames.clear();
            }
            if (!it->second.samples.empty()) {
                w.append_samples(origin, it->second.samples);
                it->second.samples.clear();
            }
            it = pending_.erase(it);
        }
        if (pending_last_seq_) written_seq_ = std::max(written_seq_, pending_last_seq_);
        pending_first_seq_ = pending_last_seq_ = 0;
        if (force_sync) {
            // Nothing written since the last sync (an idle flush): nothing to wait for.
            if (unsynced_)
                for (auto& [p, f] : files_)
                    if (f.writer) f.writer->sync();
            unsynced_ = false;
            durable_seq_ = std::max(durable_seq_, written_seq_);
            last_sync_ns_ = host().wall_now_ns();
        }
        if (failing_) host().log(ZZP_LOG_INFO, "writing works again; recording resumed");
        failing_ = false;
        return true;
    } catch (const std::exception& e) {
        report_failure(e.what());
        return false;
    }
}

void FileSink::report_failure(const std::string& what) {
    if (!failing_ || what != last_error_)
        host().log(ZZP_LOG_ERROR, "%s — keeping the data queued and retrying (free space or fix permissions)",
                   what.c_str());
    failing_ = true;
    last_error_ = what;
}

void FileSink::close_file(int64_t period) {
    auto it = files_.find(period);
    if (it == files_.end()) return;
    if (it->second.writer) {
        try {
            it->second.writer->close();
        } catch (const std::exception& e) {
            // The data records are complete and synced; only the footer is missing, so readers
            // scan the file instead of using the index.
            host().log(ZZP_LOG_WARN, "%s (the file stays readable without its index)", e.what());
        }
    }
    files_.erase(it);
    closed_periods_.insert(period);
}

void FileSink::close_finished_periods(int64_t now) {
    bool closed = false;
    for (auto it = files_.begin(); it != files_.end();) {
        int64_t period = it->first;
        ++it;
        bool superseded = period < newest_period_;
        if (superseded && now >= period + settings_.rotate_ns + kCloseGraceNs && !pending_.count(period)) {
            close_file(period);
            closed = true;
        }
    }
    if (closed) run_retention(now);
}

void FileSink::run_retention(int64_t now) {
    if (!settings_.retention.max_age_ns && !settings_.retention.max_bytes) return;
    std::set<std::string> open;
    for (const auto& [p, f] : files_)
        if (f.writer) open.insert(f.writer->path());
    std::vector<std::string> problems;
    for (const auto& removed : apply_retention(settings_.directory, instance_, now, settings_.retention, open, problems))
        host().log(ZZP_LOG_INFO, "retention removed %s", removed.c_str());
    for (const auto& p : problems) host().log(ZZP_LOG_WARN, "%s", p.c_str());
}

std::string FileSink::save_state() {
    // From here on this instance never writes its files again, whatever happens below: a
    // successor may continue them. (A file given up without its footer is still complete:
    // readers scan it, `zzprobe-file recover` indexes it.)
    for (auto& [p, f] : files_)
        if (f.writer) f.writer->release();
    // Closed by stop (footer included): the successor rescans them and appends after the
    // footer. Left open by a stop for a hand-over: the successor adopts them as they are.
    std::vector<RestoredFile> files = handover_files_;
    for (const auto& [p, f] : files_)
        if (f.writer) files.push_back({p, f.part, f.writer->path(), f.writer->continuation()});
    zzp::StateWriter w;
    w.u64(durable_seq_);
    // Written to the files; what is past durable_seq_ the successor syncs and must not rewrite.
    w.u64(std::max(skip_through_seq_, written_seq_));
    // When we last synced: the successor keeps the same fsync rhythm, so swaps in a row never
    // postpone the next sync (the loss bound of a crash stays fsync_interval).
    w.u64(static_cast<uint64_t>(last_sync_ns_));
    w.u64(files.size());
    for (const auto& f : files) {
        w.u64(static_cast<uint64_t>(f.period));
        w.u64(f.part);
        w.str(f.path);
        w.str(f.continuation);
    }
    w.u64(targets_.size());
    for (const auto& [id, t] : targets_) {
        w.u64(id);
        w.str(t.name);
        w.str(t.address);
        w.str(t.method);
        w.str(t.probe);
        w.u64(static_cast<uint64_t>(t.interval_ns));
    }
    return w.bytes();
}

void FileSink::load_state(uint32_t format, const std::string& bytes) {
    if (!accepts_state_format(format))
        throw zzp::Error(ZZP_E_UNSUPPORTED, "file sink state format " + std::to_string(format) + " is not 1 or 2");
    zzp::StateReader r(bytes);
    uint64_t durable = r.u64();
    uint64_t written = r.u64();
    // Format 1's second field is the last batch taken, not written: only durable ones may be skipped.
    if (format == 1) written = durable;
    durable_seq_ = durable;
    skip_through_seq_ = written_seq_ = std::max(durable, written);
    if (format >= 2) restored_last_sync_ns_ = static_cast<int64_t>(r.u64());
    uint64_t n = r.u64();
    for (uint64_t i = 0; i < n; ++i) {
        RestoredFile f;
        f.period = static_cast<int64_t>(r.u64());
        if (format >= 2) f.part = static_cast<unsigned>(r.u64());
        f.path = r.str();
        if (format >= 2) f.continuation = r.str();
        restored_files_.push_back(std::move(f));
    }
    uint64_t nt = r.u64();
    for (uint64_t i = 0; i < nt; ++i) {
        rec::TargetMeta t;
        t.id = static_cast<uint32_t>(r.u64());
        t.name = r.str();
        t.address = r.str();
        t.method = r.str();
        t.probe = r.str();
        t.interval_ns = static_cast<int64_t>(r.u64());
        targets_[t.id] = t;
    }
}

}  // namespace zzp::file_sink

namespace {

const zzp_config_key kKeys[] = {
    zzp::required_key("directory", ZZP_CFG_STRING, "folder for the recordings (created if missing)"),
    zzp::key("rotate", ZZP_CFG_DURATION, "\"1h\"", "start a new file every period, on UTC boundaries"),
    zzp::key("rotate_size", ZZP_CFG_SIZE, "0", "also start a new file past this size (0: no limit)"),
    zzp::key("samples", ZZP_CFG_BOOL, "false", "also store every raw sample (ping), not only frames"),
    zzp::key("precision", ZZP_CFG_FLOAT, "0.01", "RTT quantizer precision: relative error <= precision/2"),
    zzp::key("fsync_interval", ZZP_CFG_DURATION, "\"10s\"", "how often data is made durable; bounds a power cut's loss"),
    zzp::key("retain_age", ZZP_CFG_DURATION, "\"0s\"", "remove recordings older than this (0s: keep forever)"),
    zzp::key("retain_size", ZZP_CFG_SIZE, "0", "remove the oldest recordings past this total (0: no limit)"),
    zzp::key("compression", ZZP_CFG_INT, "3", "zstd level for chunks, 0 to 19 (0: off)"),
    zzp::key("sample_time_resolution", ZZP_CFG_DURATION, "\"1us\"", "resolution of stored sample send times: 1us or 1ns"),
};

const zzp_plugin_descriptor kDescriptor = zzp::describe(
    ZZP_KIND_SINK, "file", "File recorder", zzp::file_sink::kPluginVersion,
    "Records final frames (and optionally raw samples) into compact, crash-safe, rotating files with a "
    "level-of-detail pyramid; see docs/FORMAT.md and the zzprobe-file tool.",
    kKeys, zzp_sample_config);

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-file", ZZP_FILE_SINK_VERSION, zzp::entry<zzp::file_sink::FileSink>(kDescriptor))
