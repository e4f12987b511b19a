// A small recorder-like sink for the hot swap tests: appends every sample it takes to a text file
// (one line per batch "B <batch seq> <version> <wall ns when taken>", then "s <target> <seq> <status> <sent ns>" per
// sample), makes it durable on flush, and hands over (durable seq, file) through "zzp.state/1".
// Built several times with one defect each (compile definitions):
//   ZZP_HS_VERSION "a"           the version written into every batch line
//   ZZP_HS_FAIL_CONFIGURE 1      configure refuses (a candidate failing preflight)
//   ZZP_HS_FAIL_AFTER N          write fails (io) from the N-th batch this instance takes on
//   ZZP_HS_STATE_FORMAT F        the state format it writes and accepts (default 1)
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <zzprobe/plugin.hpp>

#ifndef ZZP_HS_VERSION
#define ZZP_HS_VERSION "a"
#endif
#ifndef ZZP_HS_STATE_FORMAT
#define ZZP_HS_STATE_FORMAT 1
#endif
#ifndef ZZP_HS_FAIL_AFTER
#define ZZP_HS_FAIL_AFTER 0
#endif

namespace {

class TestRecorder : public zzp::Sink, public zzp::Stateful {
public:
    ~TestRecorder() override {
        if (fd_ >= 0) ::close(fd_);
    }
    void configure(const zzp::Config& c) override {
#if defined(ZZP_HS_FAIL_CONFIGURE) && ZZP_HS_FAIL_CONFIGURE
        throw zzp::config_error("path", "test recorder " ZZP_HS_VERSION " refuses every configuration (defect variant)");
#endif
        path_ = c.string("path");
        if (path_.empty()) throw zzp::config_error("path", "'path' names the file to append to");
    }
    void start() override {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd_ < 0) throw zzp::Error(ZZP_E_IO, "cannot open " + path_ + ": " + std::strerror(errno));
        host().log(ZZP_LOG_INFO, "test recorder %s continuing %s after batch %llu", ZZP_HS_VERSION, path_.c_str(),
                   static_cast<unsigned long long>(durable_));
    }
    void stop(int64_t) override {
        flush();
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    uint32_t accepts() const override { return ZZP_ACCEPT_SAMPLES; }
    zzp_status write(const zzp_batch& batch) override {
        if (batch.seq <= skip_through_) return ZZP_OK;  // the predecessor recorded it
        ++taken_;
#if ZZP_HS_FAIL_AFTER > 0
        if (taken_ >= static_cast<uint64_t>(ZZP_HS_FAIL_AFTER))
            throw zzp::Error(ZZP_E_IO, "test recorder " ZZP_HS_VERSION " fails from its batch " +
                                           std::to_string(ZZP_HS_FAIL_AFTER) + " on (defect variant)");
#endif
        if (batch.kind != ZZP_BATCH_SAMPLES) return ZZP_OK;
        buffer_ += "B " + std::to_string(batch.seq) + " " ZZP_HS_VERSION " " + std::to_string(host().wall_now_ns()) + "\n";
        for (uint32_t i = 0; i < batch.count; ++i) {
            const zzp_sample& s = batch.samples[i];
            buffer_ += "s " + std::to_string(s.target_id) + " " + std::to_string(s.seq) + " " + std::to_string(s.status) +
                       " " + std::to_string(s.sent_wall_ns) + "\n";
        }
        buffered_seq_ = batch.seq;
        return ZZP_OK;
    }
    void flush() override {
        size_t done = 0;
        while (done < buffer_.size()) {
            ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw zzp::Error(ZZP_E_IO, "cannot write " + path_ + ": " + std::strerror(errno));
            done += static_cast<size_t>(n);
        }
        buffer_.clear();
        if (buffered_seq_ > durable_) durable_ = buffered_seq_;
    }
    uint64_t durable_seq() override { return durable_; }

    uint32_t state_format() const override { return ZZP_HS_STATE_FORMAT; }
    std::string save_state() override {
        zzp::StateWriter w;
        w.u64(durable_);
        w.str(path_);
        return w.bytes();
    }
    void load_state(uint32_t format, const std::string& bytes) override {
        if (format != ZZP_HS_STATE_FORMAT) throw zzp::Error(ZZP_E_UNSUPPORTED, "unknown state format");
        zzp::StateReader r(bytes);
        durable_ = r.u64();
        skip_through_ = durable_;
        std::string path = r.str();
        if (path != path_) throw zzp::Error(ZZP_E_INVALID, "state is about " + path + ", not " + path_);
    }

private:
    std::string path_;
    int fd_ = -1;
    std::string buffer_;
    uint64_t buffered_seq_ = 0;
    uint64_t durable_ = 0;
    uint64_t skip_through_ = 0;
    uint64_t taken_ = 0;
};

const zzp_config_key kKeys[] = {
    zzp::required_key("path", ZZP_CFG_STRING, "the file to append samples to"),
};
const zzp_plugin_descriptor kSink =
    zzp::describe(ZZP_KIND_SINK, "hotswap-test.recorder", "Hot swap test recorder", ZZP_HS_VERSION,
                  "Appends samples to a text file; hands the file and durable seq over.", kKeys,
                  "[[sink]]\nid = \"rec\"\nplugin = \"hotswap-test.recorder\"\npath = \"rec.txt\"\n");

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-hotswap-test-recorder", ZZP_HS_VERSION, zzp::entry<TestRecorder>(kSink))
