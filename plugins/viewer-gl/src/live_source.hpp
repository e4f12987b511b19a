// Live frames kept in memory per host (bounded by a retention time), newest revision wins: a
// udp-stream subscription or the pipeline itself feeds them from its own thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>

#include "data_source.hpp"

namespace zzp::viewer {

class LiveSource final : public DataSource {
public:
    explicit LiveSource(int64_t retain_ns);
    // Thread-safe producers (network or pipeline thread).
    void add_target(uint32_t id, const HostInfo& info);
    void add_frame(const zzp_frame& f, int64_t arrival_mono_ns);
    void set_problem(const std::string& key, const std::string& text);  // empty text clears
    void set_on_change(std::function<void()> f);

    std::vector<HostInfo> hosts() override;
    bool extent(int64_t& t0, int64_t& t1) override;
    void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) override;
    std::optional<zzp_frame> frame_at(size_t h, int64_t t) override;
    std::vector<std::string> problems() override;
    uint64_t version() override;
    int64_t last_arrival_mono_ns() override;
    bool live() const override { return true; }
    int64_t take_pending_arrival() override;

private:
    struct Host {
        uint32_t id = 0;
        HostInfo info;
        std::vector<zzp_frame> frames;  // sorted by start
    };
    Host& host_for(uint32_t id);
    mutable std::mutex mutex_;
    int64_t retain_ns_;
    std::vector<Host> hosts_;
    std::map<std::string, std::string> problems_;
    std::function<void()> on_change_;
    uint64_t version_ = 0;
    int64_t last_arrival_ = 0;
    int64_t pending_arrival_ = 0;
};

}  // namespace zzp::viewer
