#include "control/hot_swap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/log.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_library.hpp"

namespace zzp::host {
namespace {

zzp_error fresh_error() {
    zzp_error e{};
    e.struct_size = sizeof e;
    return e;
}

std::string error_text(zzp_status s, const zzp_error& e) {
    std::string t = std::string("(") + zzp_status_name(s) + ")";
    if (e.key[0]) t += std::string(" key '") + e.key + "':";
    t += " ";
    t += e.message[0] ? e.message : "no message";
    return t;
}

std::string hex64(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016" PRIx64, v);
    return b;
}

std::string seconds(int64_t ns) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3fs", static_cast<double>(ns) / 1e9);
    return b;
}

std::string millis(int64_t ns) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f ms", static_cast<double>(ns) / 1e6);
    return b;
}

const char* kind_word(zzp_plugin_kind k) {
    switch (k) {
    case ZZP_KIND_PROBE: return "probe";
    case ZZP_KIND_SINK: return "sink";
    case ZZP_KIND_VIEWER: return "viewer";
    }
    return "plugin";
}

std::string accepts_text(uint32_t a) {
    std::string t;
    if (a & ZZP_ACCEPT_SAMPLES) t += "samples ";
    if (a & ZZP_ACCEPT_FRAMES_FINAL) t += "final-frames ";
    if (a & ZZP_ACCEPT_FRAMES_LIVE) t += "live-frames ";
    if (t.empty()) return "nothing";
    t.pop_back();
    return t;
}

}  // namespace

const char* swap_event_name(SwapEvent::Kind kind) {
    switch (kind) {
    case SwapEvent::Kind::activated: return "activated";
    case SwapEvent::Kind::committed: return "committed";
    case SwapEvent::Kind::rolled_back: return "rolled back";
    case SwapEvent::Kind::refused: return "refused";
    case SwapEvent::Kind::deferred: return "deferred";
    }
    return "?";
}

HotSwap::HotSwap(Pipeline& pipeline, MainLoop& loop, HotSwapOptions options)
    : pipeline_(pipeline), loop_(loop), options_(options) {}

HotSwap::~HotSwap() {
    *alive_ = false;
    finish_probations();
}

uint64_t HotSwap::content_hash(const std::filesystem::path& file, bool* ok) {
    // FNV-1a, 64 bit: identifies a build, not a security boundary (the socket is owner-only).
    uint64_t h = 1469598103934665603ull;
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (ok) *ok = false;
        return 0;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) {
            h ^= static_cast<unsigned char>(buf[i]);
            h *= 1099511628211ull;
        }
    }
    ::close(fd);
    if (ok) *ok = true;
    return h;
}

std::shared_ptr<PluginLibrary> HotSwap::library_of(size_t slot) const {
    auto* pi = dynamic_cast<PluginInstance*>(pipeline_.instance(slot));
    return pi ? pi->library() : nullptr;
}

uint64_t HotSwap::hash_of(const PluginLibrary& library) {
    auto it = generation_hash_.find(library.generation());
    if (it != generation_hash_.end()) return it->second;
    uint64_t h = content_hash(library.loaded_path());
    generation_hash_[library.generation()] = h;
    return h;
}

bool HotSwap::in_probation(const std::string& instance_id) const {
    auto slot = pipeline_.find_slot(instance_id);
    return slot && probations_.count(*slot);
}

bool HotSwap::is_bad(const std::filesystem::path& file) const {
    bool ok = false;
    uint64_t h = content_hash(file, &ok);
    return ok && bad_hashes_.count(h);
}

void HotSwap::emit(SwapEvent::Kind kind, const std::string& instance_id, uint64_t generation, const std::string& message,
                   int64_t pause_ns) {
    if (!listener_) return;
    SwapEvent e;
    e.kind = kind;
    e.instance_id = instance_id;
    e.generation = generation;
    e.message = message;
    e.pause_ns = pause_ns;
    e.mono_ns = MainLoop::mono_now_ns();
    listener_(e);
}

SwapResult HotSwap::refuse(size_t slot, std::string message, uint64_t generation) {
    SwapResult r;
    r.instance_id = pipeline_.spec(slot).instance_id;
    r.generation = generation;
    r.message = "swap of " + r.instance_id + " refused: " + message + "; the running instance was not touched";
    ++swaps_refused_;
    log_error(pipeline_.host_table(slot) ? pipeline_.host_table(slot)->origin() : r.instance_id, r.message);
    emit(SwapEvent::Kind::refused, r.instance_id, generation, r.message);
    return r;
}

SwapResult HotSwap::swap(const std::string& instance_id, const std::filesystem::path& library) {
    auto slot = pipeline_.find_slot(instance_id);
    if (!slot) {
        SwapResult r;
        r.instance_id = instance_id;
        r.message = "no instance '" + instance_id + "' in this pipeline; instances:";
        for (size_t i = 0; i < pipeline_.slot_count(); ++i) r.message += " " + pipeline_.spec(i).instance_id;
        return r;
    }
    std::filesystem::path path = library;
    if (path.empty()) {
        auto current = library_of(*slot);
        if (!current) return refuse(*slot, "its library is not known; give the library path");
        path = current->path();
    }
    std::error_code ec;
    path = std::filesystem::absolute(path, ec);
    if (auto it = probations_.find(*slot); it != probations_.end()) {
        it->second.deferred.push_back(path);
        SwapResult r;
        r.ok = true;
        r.deferred = true;
        r.instance_id = instance_id;
        r.message = instance_id + " is in probation (gen " +
                    std::to_string(it->second.candidate_library ? it->second.candidate_library->generation() : 0) +
                    ", " + seconds(std::max<int64_t>(it->second.ends_mono_ns - MainLoop::mono_now_ns(), 0)) +
                    " left); the swap to " + path.string() + " runs when it ends";
        log_info(pipeline_.host_table(*slot)->origin(), r.message);
        emit(SwapEvent::Kind::deferred, instance_id, 0, r.message);
        return r;
    }
    bool readable = false;
    uint64_t hash = content_hash(path, &readable);
    if (readable && bad_hashes_.count(hash))
        return refuse(*slot, path.string() + " (content hash " + hex64(hash) +
                                 ") failed its probation before and is not loaded again; build and install a fixed one");
    LoadError err;
    OpenOptions oo;
    oo.private_copy = options_.private_copy;
    std::shared_ptr<PluginLibrary> lib = PluginLibrary::open(path, oo, &err);
    if (!lib) return refuse(*slot, "the candidate library cannot be loaded:\n" + err.text());
    hash = hash_of(*lib);  // what was mapped, whatever happened to the file since
    if (bad_hashes_.count(hash))
        return refuse(*slot, path.string() + " (content hash " + hex64(hash) + ") failed its probation before",
                      lib->generation());
    return swap_slot(*slot, lib, hash);
}

std::vector<SwapResult> HotSwap::library_changed(const std::filesystem::path& changed) {
    std::vector<SwapResult> results;
    std::error_code ec;
    const std::filesystem::path path = std::filesystem::absolute(changed, ec);
    std::vector<size_t> slots;
    for (size_t i = 0; i < pipeline_.slot_count(); ++i) {
        auto lib = library_of(i);
        if (lib && lib->path() == path) slots.push_back(i);
    }
    if (slots.empty()) {
        log_debug("swap", path.string() + " changed; no instance runs it");
        return results;
    }
    bool readable = false;
    uint64_t hash = content_hash(path, &readable);
    if (!readable) return results;  // removed or renamed away again
    if (bad_hashes_.count(hash)) {
        log_warn("swap", "ignoring " + path.string() + ": this build (content hash " + hex64(hash) +
                             ") failed its probation before and is not loaded again");
        return results;
    }
    bool changed_any = false;
    for (size_t s : slots)
        if (hash_of(*library_of(s)) != hash) changed_any = true;
    if (!changed_any) {
        log_info("swap", path.string() + " changed but holds the build already running; nothing to do");
        return results;
    }
    LoadError err;
    OpenOptions oo;
    oo.private_copy = options_.private_copy;
    std::shared_ptr<PluginLibrary> lib;
    for (size_t s : slots) {
        if (probations_.count(s)) {
            results.push_back(swap(pipeline_.spec(s).instance_id, path));  // deferred
            continue;
        }
        if (!lib) {
            lib = PluginLibrary::open(path, oo, &err);
            if (lib) hash = hash_of(*lib);
        }
        if (!lib) {
            results.push_back(refuse(s, "the candidate library cannot be loaded:\n" + err.text()));
            continue;
        }
        if (bad_hashes_.count(hash)) {
            results.push_back(refuse(s, path.string() + " failed its probation before", lib->generation()));
            continue;
        }
        results.push_back(swap_slot(s, lib, hash));
    }
    return results;
}

SwapResult HotSwap::swap_slot(size_t slot, const std::shared_ptr<PluginLibrary>& lib, uint64_t hash) {
    const InstanceSpec& spec = pipeline_.spec(slot);
    const std::string& id = spec.instance_id;
    InstanceHandle* old = pipeline_.instance(slot);
    HostTable* host = pipeline_.host_table(slot);
    SinkRunner* runner = pipeline_.runner(slot);
    const uint64_t gen = lib->generation();
    const bool is_probe = spec.kind == ZZP_KIND_PROBE;

    // 1. Preflight: nothing of the running instance is touched.
    if (!pipeline_.running() || pipeline_.stop_requested()) return refuse(slot, "the pipeline is stopping", gen);
    if (!old || !pipeline_.started(slot)) return refuse(slot, "the instance is not running", gen);
    if (old->hung()) return refuse(slot, "the running instance hung in a call and cannot hand over", gen);
    if (!is_probe && !runner) return refuse(slot, "the instance has no dispatcher", gen);
    const zzp_plugin_descriptor* d = lib->find(spec.plugin_id);
    if (!d) {
        std::string offers;
        for (const auto& desc : lib->descriptors()) offers += std::string(offers.empty() ? "" : ", ") + desc.id;
        return refuse(slot, "the candidate " + lib->origin() + " does not offer plugin '" + spec.plugin_id +
                                "' (it offers: " + offers + ")", gen);
    }
    if (d->kind != static_cast<uint32_t>(spec.kind))
        return refuse(slot, "in the candidate " + lib->origin() + ", '" + spec.plugin_id + "' is not a " + kind_word(spec.kind),
                      gen);
    if (!spec.config) return refuse(slot, "the instance's configuration is no longer available", gen);
    std::string why;
    std::unique_ptr<InstanceHandle> cand = lib->create(spec.plugin_id, id, host->table(), &why);
    if (!cand) return refuse(slot, "the candidate could not be created: " + why, gen);
    zzp_error err = fresh_error();
    zzp_status s = cand->configure(spec.config, &err);
    if (s != ZZP_OK) return refuse(slot, "the candidate " + cand->origin() + " refused the configuration " + error_text(s, err), gen);
    if (!is_probe) {
        if (!cand->has_sink()) return refuse(slot, "the candidate does not offer the sink extension", gen);
        uint32_t got = cand->sink_accepts();
        if (runner->lossy()) got &= ~ZZP_ACCEPT_SAMPLES;
        if (got != runner->accepts())
            return refuse(slot, "the candidate takes " + accepts_text(got) + ", the running instance " +
                                    accepts_text(runner->accepts()) + "; a swap cannot change what a sink takes (restart zzprobe)",
                          gen);
    }
    const bool old_has_state = old->has_state();
    const uint32_t old_format = old_has_state ? old->state_format() : 0;
    if (old_has_state) {
        if (!cand->has_state())
            return refuse(slot, "state hand-over impossible: the running instance " + old->origin() + " hands over state (format " +
                                    std::to_string(old_format) + ") but the candidate " + cand->origin() +
                                    " has no \"" ZZP_EXT_STATE "\" extension", gen);
        if (!cand->state_accepts(old_format))
            return refuse(slot, "state format mismatch: the running instance " + old->origin() + " writes state format " +
                                    std::to_string(old_format) + ", the candidate " + cand->origin() +
                                    " does not accept it (it writes format " + std::to_string(cand->state_format()) + ")",
                          gen);
    }
    std::shared_ptr<PluginLibrary> old_lib = library_of(slot);
    const std::string old_origin = old->origin();

    // 2. Quiesce (sinks): the dispatcher stops at a point with no call in flight; producers keep
    //    queueing (bounded, backpressure, never dropped).
    const int64_t t0 = MainLoop::mono_now_ns();
    if (!is_probe && !runner->pause(t0 + options_.pause_timeout_ns)) {
        runner->resume();
        return refuse(slot, "the running instance is still in a call after " + seconds(options_.pause_timeout_ns), gen);
    }
    // What the pause owes to the call in flight (a write may be syncing) rather than the swap.
    const int64_t quiesce_ns = MainLoop::mono_now_ns() - t0;
    // 3. Drain: flush (sinks) and stop the old instance. A probe emits what settles while it stops.
    //    When its state goes to the candidate, the old instance is told so ("zzp.handover/1"):
    //    it may leave to the candidate what the candidate continues (the recorder: footer and
    //    sync of its open file), which keeps the pause short. Cleared once save returned.
    if (old_has_state) host->set_handing_over(true);
    if (!is_probe) {
        err = fresh_error();
        s = old->sink_flush(&err);
        if (s != ZZP_OK && s != ZZP_E_UNSUPPORTED)
            log_warn(old_origin, "flush before the swap failed " + error_text(s, err) +
                                     "; what is not durable is sent to the successor again");
    }
    err = fresh_error();
    s = old->stop(MainLoop::mono_now_ns() + options_.stop_timeout_ns, &err);
    if (is_probe) host->set_accepting(false);
    if (s != ZZP_OK) log_warn(old_origin, "stop for the swap failed " + error_text(s, err));
    // 4. State hand-over.
    std::string state;
    bool have_state = false;
    if (old_has_state && !old->hung()) {
        err = fresh_error();
        s = old->state_save(&state, &err);
        if (s == ZZP_OK) have_state = true;
        else log_error(old_origin, "state save failed " + error_text(s, err) + "; the successor starts without it");
    } else if (old_has_state) {
        log_error(old_origin, "hung in stop: its state cannot be saved; the successor starts without it");
    }
    host->set_handing_over(false);
    host->set_origin(cand->origin());  // what the candidate logs from now on names its generation
    std::string failure;
    if (have_state) {
        err = fresh_error();
        s = cand->state_load(old_format, state, &err);
        if (s != ZZP_OK) failure = "the candidate could not take over the state " + error_text(s, err);
    }
    // 5. Start the candidate and dispatch to it from the first batch it does not have.
    bool cand_started = false;
    if (failure.empty()) {
        if (is_probe) host->set_accepting(true);
        err = fresh_error();
        s = cand->start(&err);
        cand_started = true;  // a failed start may have begun something: stop it below
        if (s != ZZP_OK) failure = "the candidate failed to start " + error_text(s, err);
    }
    if (!failure.empty()) {
        // Roll back at once: a fresh instance of the old generation takes the old state.
        if (cand_started) {
            zzp_error e2 = fresh_error();
            cand->stop(MainLoop::mono_now_ns() + options_.stop_timeout_ns, &e2);
        }
        if (is_probe) host->set_accepting(false);
        bad_hashes_.insert(hash);
        bad_files_[hash] = lib->path().string();
        ++rollbacks_;
        std::unique_ptr<InstanceHandle> replaced;
        std::string reason;
        SwapResult r;
        r.instance_id = id;
        r.generation = gen;
        if (old->hung() || !reinstate(slot, old_lib, have_state, old_format, state, &replaced, &reason)) {
            r.message = "swap of " + id + " failed: " + failure + "; the previous generation could not be restarted (" +
                        (old->hung() ? std::string("it hung in stop") : reason) +
                        "); the instance is DOWN, its data stays queued: swap in a working library";
        } else {
            r.message = "swap of " + id + " failed: " + failure + "; rolled back to a fresh instance of " +
                        (old_lib ? old_lib->origin() : old_origin) + "; " + lib->path().string() + " (content hash " +
                        hex64(hash) + ") will not be loaded again";
        }
        log_error(old_origin, r.message);
        if (cand && cand->hung()) {
            lib->leak_intentionally("its instance hung in stop during a failed swap");
            (void)cand.release();
        }
        cand.reset();
        if (replaced) retire(std::move(replaced), std::move(old_lib), "replaced after a failed swap");
        emit(SwapEvent::Kind::rolled_back, id, gen, r.message);
        return r;
    }
    if (!is_probe) {
        runner->replace_instance(cand.get());
        runner->resume();
    }
    const int64_t pause_ns = MainLoop::mono_now_ns() - t0;
    const std::string cand_origin = cand->origin();
    std::unique_ptr<InstanceHandle> old_up = pipeline_.exchange_instance(slot, std::move(cand));
    ++swaps_done_;

    SwapResult r;
    r.ok = true;
    r.instance_id = id;
    r.generation = gen;
    r.pause_ns = pause_ns;
    r.quiesce_ns = is_probe ? 0 : quiesce_ns;
    r.message = id + ": gen " + std::to_string(gen) + " active (" + cand_origin + ", " + lib->name() + " " + lib->version() +
                "), replacing " + old_origin + "; " + (is_probe ? "probing gap " : "dispatch paused ") + millis(pause_ns) +
                (is_probe ? "" : " (" + millis(quiesce_ns) + " waiting for the call in flight)") +
                (have_state ? ", state handed over (format " + std::to_string(old_format) + ")" : "") + "; probation " +
                seconds(options_.probation_ns) +
                (options_.probation_batches ? " or " + std::to_string(options_.probation_batches) + " batches" : "");
    log_info(cand_origin, r.message);

    // 6. Probation: the old generation stays loaded until the candidate proved itself.
    Probation p;
    p.slot = slot;
    p.old = std::move(old_up);
    p.old_library = std::move(old_lib);
    p.old_has_state = have_state;
    p.old_format = old_format;
    p.old_state = std::move(state);
    p.candidate_library = lib;
    p.candidate_hash = hash;
    p.candidate_path = lib->path();
    start_probation(std::move(p));
    emit(SwapEvent::Kind::activated, id, gen, r.message, pause_ns);
    return r;
}

void HotSwap::start_probation(Probation p) {
    const size_t slot = p.slot;
    p.token = next_token_++;
    p.ends_mono_ns = MainLoop::mono_now_ns() + options_.probation_ns;
    std::weak_ptr<bool> alive = alive_;
    const uint64_t token = p.token;
    p.timer = loop_.post_at(p.ends_mono_ns, [this, alive, token] {
        if (auto a = alive.lock(); a && *a) probation_verdict(token, true, seconds(options_.probation_ns) + " without a failure");
    });
    if (SinkRunner* runner = pipeline_.runner(slot)) {
        runner->watch_probation(options_.probation_batches, [this, alive, token](bool ok, const std::string& why) {
            // Dispatcher thread: hand the verdict to the main thread.
            loop_.post([this, alive, token, ok, why] {
                if (auto a = alive.lock(); a && *a) probation_verdict(token, ok, why);
            });
        });
    }
    probations_[slot] = std::move(p);
}

void HotSwap::probation_verdict(uint64_t token, bool ok, const std::string& why) {
    for (auto& [slot, p] : probations_) {
        if (p.token != token) continue;
        if (ok) commit(slot, why);
        else rollback(slot, why);
        return;
    }
    // A verdict for a probation that already ended: nothing to do.
}

void HotSwap::finish_probations() {
    while (!probations_.empty()) commit(probations_.begin()->first, "ended early (shutting down)");
}

void HotSwap::commit(size_t slot, const std::string& why) {
    auto it = probations_.find(slot);
    if (it == probations_.end()) return;
    Probation p = std::move(it->second);
    probations_.erase(it);
    loop_.cancel(p.timer);
    if (SinkRunner* runner = pipeline_.runner(slot)) runner->clear_probation_watch();
    const std::string& id = pipeline_.spec(slot).instance_id;
    const uint64_t gen = p.candidate_library ? p.candidate_library->generation() : 0;
    log_info(pipeline_.host_table(slot)->origin(), "probation of gen " + std::to_string(gen) + " passed (" + why +
                                                      "); retiring the previous generation");
    p.candidate_library.reset();
    retire(std::move(p.old), std::move(p.old_library), "replaced by gen " + std::to_string(gen));
    emit(SwapEvent::Kind::committed, id, gen, why);
    run_deferred(std::move(p.deferred), id);
}

void HotSwap::rollback(size_t slot, const std::string& why) {
    auto it = probations_.find(slot);
    if (it == probations_.end()) return;
    Probation p = std::move(it->second);
    probations_.erase(it);
    loop_.cancel(p.timer);
    const InstanceSpec& spec = pipeline_.spec(slot);
    const std::string& id = spec.instance_id;
    SinkRunner* runner = pipeline_.runner(slot);
    HostTable* host = pipeline_.host_table(slot);
    if (runner) runner->clear_probation_watch();
    InstanceHandle* cand = pipeline_.instance(slot);
    const std::string cand_origin = cand->origin();
    const uint64_t gen = p.candidate_library ? p.candidate_library->generation() : 0;
    bad_hashes_.insert(p.candidate_hash);
    bad_files_[p.candidate_hash] = p.candidate_path.string();
    ++rollbacks_;

    const int64_t t0 = MainLoop::mono_now_ns();
    if (runner && !runner->pause(t0 + options_.pause_timeout_ns)) {
        runner->resume();
        std::string text = "gen " + std::to_string(gen) + " failed its probation (" + why +
                           ") but is stuck in a call, so it cannot be rolled back; it keeps running. " +
                           p.candidate_path.string() + " will not be loaded again";
        log_error(cand_origin, text);
        retire(std::move(p.old), std::move(p.old_library), "its successor could not be rolled back");
        emit(SwapEvent::Kind::rolled_back, id, gen, text);
        return;
    }
    zzp_error err = fresh_error();
    // The candidate hands its state back to a fresh instance of the old generation: the same
    // hand-over as a swap (see swap_slot, step 3).
    host->set_handing_over(cand->has_state());
    if (runner) {
        zzp_status fs = cand->sink_flush(&err);  // best effort: what becomes durable is not resent
        if (fs != ZZP_OK && fs != ZZP_E_UNSUPPORTED)
            log_warn(cand_origin, "flush before the rollback failed " + error_text(fs, err));
    }
    err = fresh_error();
    zzp_status s = cand->stop(MainLoop::mono_now_ns() + options_.stop_timeout_ns, &err);
    if (!runner) host->set_accepting(false);
    if (s != ZZP_OK) log_warn(cand_origin, "stop for the rollback failed " + error_text(s, err));
    // The candidate's state is the newest; if it cannot give it (or the old generation cannot read
    // it), the state the old instance handed over is the fallback.
    std::string cand_state;
    bool cand_has = false;
    uint32_t cand_format = 0;
    if (cand->has_state() && !cand->hung()) {
        err = fresh_error();
        zzp_status ss = cand->state_save(&cand_state, &err);
        if (ss == ZZP_OK) {
            cand_has = true;
            cand_format = cand->state_format();
        } else {
            log_warn(cand_origin, "state save for the rollback failed " + error_text(ss, err) +
                                      "; the previous generation continues from the state it handed over");
        }
    }
    host->set_handing_over(false);
    std::unique_ptr<InstanceHandle> replaced;
    std::string reason;
    bool ok = false;
    if (cand_has) ok = reinstate(slot, p.old_library, true, cand_format, cand_state, &replaced, &reason);
    if (!ok && !replaced) ok = reinstate(slot, p.old_library, p.old_has_state, p.old_format, p.old_state, &replaced, &reason);
    std::string text;
    if (ok) {
        text = "gen " + std::to_string(gen) + " failed its probation (" + why + "); rolled back to a fresh instance of " +
               (p.old_library ? p.old_library->origin() : std::string("the previous generation")) + " in " +
               millis(MainLoop::mono_now_ns() - t0) + "; " + p.candidate_path.string() + " (content hash " +
               hex64(p.candidate_hash) + ") will not be loaded again";
    } else {
        text = "gen " + std::to_string(gen) + " failed its probation (" + why +
               ") and the previous generation could not be restarted (" + reason +
               "); the instance is DOWN, its data stays queued: swap in a working library";
    }
    log_error(cand_origin, text);
    if (replaced) {
        if (replaced->hung()) {
            if (p.candidate_library) p.candidate_library->leak_intentionally("its instance hung in stop during a rollback");
            (void)replaced.release();
        }
        replaced.reset();
    }
    p.candidate_library.reset();  // unloads the candidate (checked by its destructor)
    retire(std::move(p.old), std::move(p.old_library), "a fresh instance of it took over");
    emit(SwapEvent::Kind::rolled_back, id, gen, text);
    run_deferred(std::move(p.deferred), id);
}

bool HotSwap::reinstate(size_t slot, const std::shared_ptr<PluginLibrary>& library, bool has_state, uint32_t format,
                        const std::string& state, std::unique_ptr<InstanceHandle>* replaced, std::string* why) {
    if (!library) {
        *why = "its library is not known";
        return false;
    }
    const InstanceSpec& spec = pipeline_.spec(slot);
    HostTable* host = pipeline_.host_table(slot);
    SinkRunner* runner = pipeline_.runner(slot);
    std::unique_ptr<InstanceHandle> fresh = library->create(spec.plugin_id, spec.instance_id, host->table(), why);
    if (!fresh) return false;
    zzp_error err = fresh_error();
    zzp_status s = fresh->configure(spec.config, &err);
    if (s != ZZP_OK) {
        *why = "configure " + error_text(s, err);
        return false;
    }
    if (has_state) {
        if (!fresh->has_state() || !fresh->state_accepts(format)) {
            *why = "it does not accept state format " + std::to_string(format);
            return false;
        }
        err = fresh_error();
        s = fresh->state_load(format, state, &err);
        if (s != ZZP_OK) {
            *why = "state load " + error_text(s, err);
            return false;
        }
    }
    if (!runner) host->set_accepting(true);
    err = fresh_error();
    s = fresh->start(&err);
    if (s != ZZP_OK) {
        zzp_error e2 = fresh_error();
        fresh->stop(MainLoop::mono_now_ns() + options_.stop_timeout_ns, &e2);
        if (!runner) host->set_accepting(false);
        *why = "start " + error_text(s, err);
        return false;
    }
    if (runner) {
        runner->replace_instance(fresh.get());
        runner->resume();
    }
    *replaced = pipeline_.exchange_instance(slot, std::move(fresh));
    return true;
}

void HotSwap::retire(std::unique_ptr<InstanceHandle> instance, std::shared_ptr<PluginLibrary> library,
                     const std::string& what) {
    if (instance && instance->hung()) {
        if (library) library->leak_intentionally("its instance hung in stop (" + what + ")");
        (void)instance.release();
        return;
    }
    instance.reset();
    if (!library) return;
    const std::filesystem::path copy = library->loaded_path();
    const std::string origin = library->origin();
    const bool own_copy = copy != library->path();
    std::weak_ptr<PluginLibrary> weak = library;
    library.reset();
    if (!weak.expired()) {
        log_info(origin, "instance retired (" + what + "); the library stays loaded for other instances");
        return;
    }
    ++retired_;
    if (own_copy && PluginLibrary::is_mapped(copy)) {
        ++pinned_;
        log_warn(origin, "retired (" + what + ") but still mapped after unloading: something pinned it "
                         "(a STB_GNU_UNIQUE symbol, a thread or callback left behind); it stays in memory");
    } else {
        log_info(origin, "retired (" + what + ") and unloaded; confirmed gone from memory");
    }
}

void HotSwap::run_deferred(std::vector<std::filesystem::path> paths, const std::string& instance_id) {
    if (paths.empty()) return;
    // The newest request wins; older ones are superseded.
    std::filesystem::path path = paths.back();
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive, instance_id, path] {
        if (auto a = alive.lock(); a && *a) swap(instance_id, path);
    });
}

std::string HotSwap::handle_request(const std::vector<std::string>& words) {
    if (words.size() == 1 && words[0] == "status") return "ok\n" + status_text();
    if (!words.empty() && words[0] == "swap" && (words.size() == 2 || words.size() == 3)) {
        SwapResult r = swap(words[1], words.size() == 3 ? std::filesystem::path(words[2]) : std::filesystem::path());
        return (r.ok ? "ok\n" : "error\n") + r.message + "\n";
    }
    std::string w;
    for (const auto& s : words) w += (w.empty() ? "" : " ") + s;
    return "error\nunknown request '" + w + "'; known: status, swap INSTANCE [LIBRARY]\n";
}

std::string HotSwap::status_text() const {
    std::string out;
    const PipelineCounters c = pipeline_.counters();
    out += "pipeline\t" + std::string(pipeline_.running() ? (pipeline_.stop_requested() ? "stopping" : "running") : "stopped") +
           "\tingested=" + std::to_string(c.ingested) + "\trejected=" + std::to_string(c.rejected) +
           "\tignored_emits=" + std::to_string(c.ignored_emits) + "\tframe_samples=" + std::to_string(c.frames.samples) + "\n";
    out += "swaps\tdone=" + std::to_string(swaps_done_) + "\trefused=" + std::to_string(swaps_refused_) +
           "\trolled_back=" + std::to_string(rollbacks_) + "\tretired=" + std::to_string(retired_) +
           "\tpinned=" + std::to_string(pinned_) + "\tin_probation=" + std::to_string(probations_.size()) + "\n";
    const int64_t now = MainLoop::mono_now_ns();
    for (size_t i = 0; i < pipeline_.slot_count(); ++i) {
        const InstanceSpec& spec = pipeline_.spec(i);
        InstanceHandle* inst = pipeline_.instance(i);
        auto lib = library_of(i);
        std::string state = !inst ? "none" : inst->hung() ? "hung" : pipeline_.started(i) ? "running" : "stopped";
        if (auto it = probations_.find(i); it != probations_.end())
            state = "probation(" + seconds(std::max<int64_t>(it->second.ends_mono_ns - now, 0)) + " left, previous gen " +
                    std::to_string(it->second.old_library ? it->second.old_library->generation() : 0) + " loaded)";
        out += "instance\t" + spec.instance_id + "\tkind=" + kind_word(spec.kind) + "\tplugin=" + spec.plugin_id +
               "\tgeneration=" + std::to_string(lib ? lib->generation() : 0) + "\tversion=" + (lib ? lib->version() : "") +
               "\tstate=" + state + "\tlibrary=" + (lib ? lib->path().string() : std::string("(in-process)")) + "\n";
    }
    for (const auto& [id, q] : pipeline_.sink_counters()) {
        out += "queue\t" + id + "\tdepth_batches=" + std::to_string(q.depth_batches) + "\tdepth_bytes=" +
               std::to_string(q.depth_bytes) + "\tqueued=" + std::to_string(q.queued) + "\twritten=" + std::to_string(q.written) +
               "\tretries=" + std::to_string(q.retries) + "\terrors=" + std::to_string(q.errors) +
               "\tdropped=" + std::to_string(q.dropped) + "\tunwritten=" + std::to_string(q.unwritten) +
               "\tbackpressure_waits=" + std::to_string(q.backpressure_waits) + "\tlast_seq=" + std::to_string(q.last_seq) +
               "\tdurable_seq=" + std::to_string(q.durable_seq) + "\n";
    }
    for (const auto& [hash, file] : bad_files_) out += "bad\t" + hex64(hash) + "\t" + file + "\n";
    return out;
}

}  // namespace zzp::host
