// Hot swap of plugin instances in a running pipeline, by generations (docs/HOT_SWAP.md).
//
//   MainLoop loop;                       // the main thread runs it; lifecycle calls are [main]
//   HotSwap swaps(pipeline, loop, {});   // after pipeline.start(); destroy before the pipeline
//   SwapResult r = swaps.swap("recorder", "/path/new/zzp-file.so");     // [main]
//   swaps.library_changed("/usr/lib/zzprobe/plugins/zzp-file.so");     // the watcher, [main]
//
// A sink or viewer is swapped make-before-break: the candidate is loaded from a private copy (a
// new generation), created on the slot's host table, configured with the instance's config and
// checked to take over the state — all before the running instance is touched. Then the
// dispatcher pauses at a quiescent point, the old instance flushes and stops, its state goes to
// the candidate, the candidate starts and the dispatcher resumes from the first batch the
// candidate does not already have. A probe stops, hands its sequence counters over, and the
// candidate starts (emits are gated by the host table across the gap).
//
// Probation: the old instance stays (stopped, library loaded) until the candidate has written
// `probation_batches` batches or `probation_ns` passed without a failed call; a failure rolls
// back (a fresh instance from the old library takes the candidate's state) and the candidate's
// file is remembered by content hash and never loaded again. Then the old generation is retired:
// destroyed, unloaded, and checked to have left memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/main_loop.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::host {

class PluginLibrary;

struct HotSwapOptions {
    int64_t pause_timeout_ns = 2'000'000'000;  // wait this long for a sink's call in flight
    int64_t stop_timeout_ns = 5'000'000'000;   // stop deadline of the instance being replaced
    int64_t probation_ns = 2'000'000'000;      // [host] swap_probation
    uint64_t probation_batches = 0;            // also end probation after this many batches (0: time only)
    bool private_copy = true;
};

struct SwapResult {
    bool ok = false;
    bool deferred = false;     // queued until the instance's probation ends
    std::string instance_id;
    std::string message;       // what happened, or why it was refused (may span lines)
    uint64_t generation = 0;   // the candidate's
    int64_t pause_ns = 0;      // sinks: dispatch paused; probes: stop of the old to start of the new
    int64_t quiesce_ns = 0;    // sinks: of pause_ns, the wait for the old instance's call in flight
};

struct SwapEvent {
    enum class Kind { activated, committed, rolled_back, refused, deferred };
    Kind kind = Kind::activated;
    std::string instance_id;
    uint64_t generation = 0;  // the candidate's
    std::string message;
    int64_t pause_ns = 0;
    int64_t mono_ns = 0;      // when it happened (CLOCK_MONOTONIC)
};
const char* swap_event_name(SwapEvent::Kind kind);

class HotSwap {
public:
    HotSwap(Pipeline& pipeline, MainLoop& loop, HotSwapOptions options = {});
    ~HotSwap();  // [main] commits open probations (retiring the old generations)
    HotSwap(const HotSwap&) = delete;
    HotSwap& operator=(const HotSwap&) = delete;

    // Swap one instance to `library` (empty: the file its current generation was loaded from,
    // as it is now). [main]
    SwapResult swap(const std::string& instance_id, const std::filesystem::path& library = {});
    // A plugin file changed (the watcher): swap every instance whose library was opened from it.
    // A file remembered as bad, or unchanged, is ignored with one log line. [main]
    std::vector<SwapResult> library_changed(const std::filesystem::path& path);
    // Control socket requests ("status", "swap\tID[\tPATH]"): the whole reply. [main]
    std::string handle_request(const std::vector<std::string>& words);
    std::string status_text() const;  // [main]

    // End every probation now as a success (before the pipeline stops). [main]
    void finish_probations();
    size_t probations() const { return probations_.size(); }
    bool in_probation(const std::string& instance_id) const;
    bool is_bad(const std::filesystem::path& file) const;  // its content was rolled back before

    // Observer for tests and benchmarks; called on the main thread.
    void set_listener(std::function<void(const SwapEvent&)> listener) { listener_ = std::move(listener); }

    static uint64_t content_hash(const std::filesystem::path& file, bool* ok = nullptr);

private:
    struct Probation {
        size_t slot = 0;
        std::unique_ptr<InstanceHandle> old;        // stopped, kept until retired
        std::shared_ptr<PluginLibrary> old_library;  // may be null (in-process instances)
        bool old_has_state = false;
        uint32_t old_format = 0;
        std::string old_state;                      // what the old instance handed over
        std::shared_ptr<PluginLibrary> candidate_library;
        uint64_t candidate_hash = 0;
        std::filesystem::path candidate_path;
        uint64_t token = 0;
        uint64_t timer = 0;
        int64_t ends_mono_ns = 0;
        std::vector<std::filesystem::path> deferred;  // swaps asked for during probation
    };

    SwapResult swap_slot(size_t slot, const std::shared_ptr<PluginLibrary>& library, uint64_t hash);
    SwapResult refuse(size_t slot, std::string message, uint64_t generation = 0);
    void start_probation(Probation p);
    void probation_verdict(uint64_t token, bool ok, const std::string& why);
    void commit(size_t slot, const std::string& why);
    void rollback(size_t slot, const std::string& why);
    void retire(std::unique_ptr<InstanceHandle> instance, std::shared_ptr<PluginLibrary> library, const std::string& what);
    // A fresh instance of `library` in `slot` with `state`, started and dispatched to; the
    // instance it replaced goes to *replaced. false with *why when that fails too.
    bool reinstate(size_t slot, const std::shared_ptr<PluginLibrary>& library, bool has_state, uint32_t format,
                   const std::string& state, std::unique_ptr<InstanceHandle>* replaced, std::string* why);
    void run_deferred(std::vector<std::filesystem::path> paths, const std::string& instance_id);
    std::shared_ptr<PluginLibrary> library_of(size_t slot) const;
    uint64_t hash_of(const PluginLibrary& library);
    void emit(SwapEvent::Kind kind, const std::string& instance_id, uint64_t generation, const std::string& message,
              int64_t pause_ns = 0);

    Pipeline& pipeline_;
    MainLoop& loop_;
    HotSwapOptions options_;
    std::map<size_t, Probation> probations_;
    std::set<uint64_t> bad_hashes_;
    std::map<uint64_t, uint64_t> generation_hash_;  // generation -> content hash of what it mapped
    std::map<uint64_t, std::string> bad_files_;     // hash -> file it came from (for status)
    std::function<void(const SwapEvent&)> listener_;
    uint64_t next_token_ = 1;
    uint64_t swaps_done_ = 0, swaps_refused_ = 0, rollbacks_ = 0, retired_ = 0, pinned_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace zzp::host
