// The "file" sink: records final frames (and optionally raw samples) into rotating recording
// files (docs/FORMAT.md), fsyncs on an interval and reports only fsynced batches as durable.
// On a write failure (disk full, read-only directory) it keeps what it holds, returns
// ZZP_E_RETRY so the host keeps the batches queued, and resumes when writing works again.
#pragma once

#include <zzprobe/plugin.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "plugin/retention.hpp"
#include "recording/file_writer.hpp"

namespace zzp::file_sink {

// The plugin's version, also recorded in every chunk it writes ("file <version>"). A second
// build with another version (-DZZP_FILE_SINK_VERSION="...", plugins/sinks-file/CMakeLists.txt)
// makes the switch points of hot swaps visible in a recording.
#ifndef ZZP_FILE_SINK_VERSION
#define ZZP_FILE_SINK_VERSION "0.1.0"
#endif
inline constexpr const char* kPluginVersion = ZZP_FILE_SINK_VERSION;
// State formats: 1 hands over closed files (the successor rescans them); 2 also hands over the
// open ones with their writer state (the successor adopts them) and the last batch written.
inline constexpr uint32_t kStateFormat = 2;

struct Settings {
    std::string directory;
    int64_t rotate_ns = 3600'000'000'000;
    uint64_t rotate_bytes = 0;  // 0: no size limit
    bool samples = false;
    double precision = 0.01;
    int64_t fsync_interval_ns = 10'000'000'000;
    int64_t sample_time_resolution_ns = 1000;
    int compression = 3;
    RetentionPolicy retention;
};

class FileSink : public zzp::Sink, public zzp::Stateful {
public:
    ~FileSink() override;
    void configure(const zzp::Config& c) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;
    uint32_t accepts() const override;
    void on_target(const zzp_target_info& t) override;
    zzp_status write(const zzp_batch& batch) override;
    void flush() override;
    uint64_t durable_seq() override { return durable_seq_; }

    uint32_t state_format() const override { return kStateFormat; }
    bool accepts_state_format(uint32_t format) const override { return format == 1 || format == 2; }
    std::string save_state() override;
    void load_state(uint32_t format, const std::string& bytes) override;

private:
    struct Pending {
        std::vector<zzp_frame> frames;
        std::vector<zzp_sample> samples;
    };
    struct OpenFile {
        std::unique_ptr<rec::FileWriter> writer;
        unsigned part = 0;
    };
    struct RestoredFile {
        int64_t period = 0;
        unsigned part = 0;
        std::string path;
        std::string continuation;  // empty: the predecessor closed it (rescan)
    };

    int64_t period_of(int64_t t) const;
    int64_t route(int64_t t) const;  // the period a record goes to (late data: the oldest open one)
    void take(const zzp_batch& batch);
    bool flush_pending(bool force_sync);  // false on failure (logged, data kept)
    bool handing_over() const;            // the host stops us for a successor ("zzp.handover/1")
    void continue_restored_files();
    rec::FileWriter& writer_for(int64_t period);
    rec::FileHeader header_for(int64_t period) const;
    void close_finished_periods(int64_t now);
    void close_file(int64_t period);
    void run_retention(int64_t now);
    void report_failure(const std::string& what);

    Settings settings_;
    std::string instance_;
    std::map<uint32_t, rec::TargetMeta> targets_;
    std::map<int64_t, Pending> pending_;
    uint64_t pending_first_seq_ = 0, pending_last_seq_ = 0;
    std::map<int64_t, OpenFile> files_;
    std::set<int64_t> closed_periods_;
    int64_t newest_period_ = INT64_MIN;
    uint64_t durable_seq_ = 0;
    uint64_t written_seq_ = 0;       // last batch in the files; durable once synced
    uint64_t skip_through_seq_ = 0;  // restored from a predecessor: already recorded
    bool unsynced_ = false;          // records written (or adopted) since the last sync
    int64_t last_sync_ns_ = 0;
    int64_t restored_last_sync_ns_ = 0;  // the predecessor's last sync (state format 2)
    bool failing_ = false;
    std::string last_error_;
    // Files a predecessor handed over, continued at start.
    std::vector<RestoredFile> restored_files_;
    // Files that were open when stop() closed them: what save_state hands to a successor.
    std::vector<RestoredFile> handover_files_;
};

}  // namespace zzp::file_sink
