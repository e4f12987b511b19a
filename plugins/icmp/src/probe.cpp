// Lifecycle of the ICMP probe: configure, start, stop, state hand-over.
#include "probe.hpp"

#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace zzp::icmp {

int64_t timespec_ns(const timespec& ts) {
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t mono_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_ns(ts);
}
int64_t real_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return timespec_ns(ts);
}

void wake_futex(std::atomic<uint32_t>* word) {
    word->store(1);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

namespace {
// How long after its deadline an attempt is declared lost (see AttemptTable).
constexpr int64_t kExpiryGraceNs = 10'000'000;
// What stop keeps in hand before the host's deadline for joining threads.
constexpr int64_t kStopMarginNs = 50'000'000;
}  // namespace

IcmpProbe::IcmpProbe() = default;

IcmpProbe::~IcmpProbe() {
    // stop() joins the threads; this only covers destroy without start or after a failed start.
    if (sender_.joinable() || receiver_.joinable() || resolver_.joinable()) {
        {
            std::lock_guard lock(wake_mutex_);
            stopping_ = true;
        }
        wake_cv_.notify_all();
        wake_futex(&stop_word_);
        if (sender_.joinable()) sender_.join();
        if (stop_event_fd_ >= 0) {
            uint64_t one = 1;
            (void)!write(stop_event_fd_, &one, sizeof one);
        }
        if (receiver_.joinable()) receiver_.join();
        if (resolver_.joinable()) resolver_.join();
    }
    for (auto& s : sockets_)
        if (s.fd >= 0) close(s.fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (stop_event_fd_ >= 0) close(stop_event_fd_);
}

void IcmpProbe::configure(const zzp::Config& config) {
    config_ = parse_config(config);
    targets_.clear();
    bool need[2] = {false, false};
    bool names = false;
    for (const std::string& name : config_.targets) {
        Target t;
        t.name = name;
        if (parse_literal(name, &t.address)) {
            t.literal = t.resolved = true;
            need[family_index(t.address.family())] = true;
        } else {
            names = true;
        }
        targets_.push_back(std::move(t));
    }
    bool want_for_names[2] = {names && config_.family != Family::kIpv6, names && config_.family != Family::kIpv4};
    if (!config_.source.empty()) {
        ResolvedAddress source;
        parse_literal(config_.source, &source);
        int other = 1 - family_index(source.family());
        for (size_t i = 0; i < targets_.size(); ++i)
            if (targets_[i].literal && family_index(targets_[i].address.family()) == other)
                throw config_error("targets[" + std::to_string(i) + "]",
                                   "target " + targets_[i].name +
                                       " is not of the same address family as 'source' = " + config_.source);
        want_for_names[other] = false;
    }
    // Open the sockets now so a missing privilege is reported by `zzprobe check` too.
    for (int f = 0; f < 2; ++f) {
        if (!need[f] && !want_for_names[f]) continue;
        std::string error;
        sockets_[f] = open_icmp_socket(f == 0 ? AF_INET : AF_INET6, config_.socket_mode, config_, &error);
        if (sockets_[f].fd < 0 && need[f]) throw zzp::Error(ZZP_E_IO, "socket_mode", error);
        if (sockets_[f].fd < 0) host().log(ZZP_LOG_WARN, "%s; host names resolving to it will fail", error.c_str());
        socket_raw_[f] = sockets_[f].raw;
        reset_tx_stamps(f, sockets_[f].tx_stamps);
    }
}

void IcmpProbe::reset_tx_stamps(int f, bool usable) {
    TxStamps& tx = tx_[f];
    tx.usable = usable;
    tx.next_key = 0;
    tx.pending.assign(usable ? kTxPendingSize : 0, TxPending{});
}

void IcmpProbe::apply_tx_stamp(int f, uint32_t key, int64_t real_ns) {
    TxStamps& tx = tx_[f];
    if (tx.pending.empty()) return;
    TxPending& p = tx.pending[key % tx.pending.size()];
    if (p.key != key || real_ns < p.earliest_real_ns || real_ns > p.latest_real_ns) {
        ++tx.rejected;
        return;
    }
    if (table_->set_kernel_send_time(p.target, p.seq, real_ns)) ++tx.applied;
    p.key = UINT32_MAX;
}

void IcmpProbe::start() {
    if (started_) throw zzp::Error(ZZP_E_STATE, "the icmp probe was already started");
    if (getrandom(&nonce_, sizeof nonce_, 0) != sizeof nonce_) nonce_ = uint64_t(real_now_ns()) * 0x9e3779b97f4a7c15ull;
    raw_ident_ = static_cast<uint16_t>(nonce_ >> 48);
    for (Target& t : targets_) {
        if (!t.literal) {
            std::string error;
            t.resolved = resolve_name(t.name, config_.family, &t.address, &error);
            if (!t.resolved) {
                t.resolve_failing = true;
                host().log(ZZP_LOG_WARN,
                           "target \"%s\" does not resolve (%s); its attempts are reported as SEND_ERROR "
                           "(EDESTADDRREQ) until it does; retrying every %lld s",
                           t.name.c_str(), error.c_str(),
                           static_cast<long long>(config_.resolve_interval_ns / 1000000000));
            }
        }
        t.id = host().intern_target(t.name, t.resolved ? t.address.text : "unresolved");
        auto restored = restored_seq_.find(t.name);
        if (restored != restored_seq_.end()) t.next_seq = restored->second;
    }
    for (const char* mode : {"datagram", "raw"})
        for (int f = 0; f < 2; ++f)
            if (sockets_[f].fd >= 0 && sockets_[f].raw == (std::strcmp(mode, "raw") == 0))
                host().log(ZZP_LOG_INFO, "using a %s ICMP socket for %s", mode, f ? "IPv6" : "IPv4");

    table_ = std::make_unique<AttemptTable>(static_cast<uint32_t>(targets_.size()),
                                            AttemptTable::ring_size_for(config_.rate_per_target, config_.timeout_ns),
                                            config_.timeout_ns, kExpiryGraceNs);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || stop_event_fd_ < 0)
        throw zzp::Error(ZZP_E_IO, std::string("cannot create epoll/eventfd: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = 2;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_event_fd_, &ev);
    for (uint32_t f = 0; f < 2; ++f) {
        if (sockets_[f].fd < 0) continue;
        ev.events = EPOLLIN;  // EPOLLERR is always reported: the error queue
        ev.data.u32 = f;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sockets_[f].fd, &ev) != 0)
            throw zzp::Error(ZZP_E_IO, std::string("epoll_ctl: ") + std::strerror(errno));
    }
    stopping_ = false;
    stop_word_ = 0;
    receiver_reads_ = true;
    started_ = true;
    receiver_ = std::thread([this] { receiver_main(); });
    sender_ = std::thread([this] { sender_main(); });
    bool any_name = false;
    for (const Target& t : targets_) any_name |= !t.literal;
    if (any_name) resolver_ = std::thread([this] { resolver_main(); });
}

void IcmpProbe::stop(int64_t deadline_mono_ns) {
    if (!started_) return;
    // The host's deadline is on its (possibly injected) clock: translate to ours.
    int64_t remaining = deadline_mono_ns - host().mono_now_ns();
    {
        std::lock_guard lock(wake_mutex_);
        stopping_ = true;
        drain_until_mono_ns_ = mono_now_ns() + remaining - kStopMarginNs;
    }
    wake_cv_.notify_all();
    wake_futex(&stop_word_);
    if (sender_.joinable()) sender_.join();  // it settles what is in flight before leaving
    uint64_t one = 1;
    (void)!write(stop_event_fd_, &one, sizeof one);
    if (receiver_.joinable()) receiver_.join();
    if (resolver_.joinable()) resolver_.join();
    started_ = false;
    const TableCounters& tc = table_->counters();
    host().log(
        ZZP_LOG_INFO,
        "stopped; dropped datagrams: %llu foreign, %llu from a wrong source, %llu inconsistent, %llu stale, "
        "%llu forged; %llu ICMP errors unmatched; %llu sends skipped after stalls; %llu send errors; "
        "kernel transmit timestamps used %llu, out of step %llu",
        (unsigned long long)receive_counters_.foreign, (unsigned long long)receive_counters_.wrong_source,
        (unsigned long long)receive_counters_.mismatched, (unsigned long long)tc.stale, (unsigned long long)tc.forged,
        (unsigned long long)(receive_counters_.errors_unmatched + tc.errors_ignored), (unsigned long long)stall_skips_,
        (unsigned long long)send_errors_, (unsigned long long)(tx_[0].applied + tx_[1].applied),
        (unsigned long long)(tx_[0].rejected + tx_[1].rejected));
}

std::string IcmpProbe::save_state() {
    zzp::StateWriter w;
    std::lock_guard lock(mutex_);
    w.u64(targets_.size());
    for (const Target& t : targets_) {
        w.str(t.name);
        w.u64(t.next_seq);
    }
    return w.bytes();
}

void IcmpProbe::load_state(uint32_t format, const std::string& bytes) {
    if (format != 1)
        throw zzp::Error(ZZP_E_UNSUPPORTED,
                         "icmp probe state format " + std::to_string(format) + " is unknown (this version reads 1)");
    zzp::StateReader r(bytes);
    uint64_t count = r.u64();
    std::map<std::string, uint64_t> seqs;
    for (uint64_t i = 0; i < count; ++i) {
        std::string name = r.str();
        seqs[name] = r.u64();
    }
    restored_seq_ = std::move(seqs);
    for (Target& t : targets_) {
        auto it = restored_seq_.find(t.name);
        if (it != restored_seq_.end()) t.next_seq = it->second;
    }
}

}  // namespace zzp::icmp
