#include "console_sink.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "summary_format.hpp"

namespace zzp::console {
namespace {

// Writes all of `text`; output errors (a closed terminal, a full disk) are not the pipeline's
// problem, so they are ignored rather than stopping the sink.
void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

// On a terminal, lines wider than it would wrap and break the in-place redraw: cut them.
std::string fit_to_terminal(const std::string& text, int fd, size_t* line_count) {
    winsize size{};
    size_t columns = ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1 : 1000;
    std::string out;
    size_t start = 0;
    *line_count = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out += text.substr(start, std::min(end - start, columns)) + "\n";
        ++*line_count;
        start = end + 1;
    }
    return out;
}

}  // namespace

ConsoleSink::~ConsoleSink() {
    if (printer_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        printer_.join();
    }
}

void ConsoleSink::configure(const zzp::Config& config) {
    settings_ = read_console_settings(config);
    window_ = FrameWindow(settings_.window_ns);
}

void ConsoleSink::start() {
    if (printer_.joinable()) throw zzp::Error(ZZP_E_STATE, "the console sink is already running");
    fd_ = settings_.output == OutputStream::standard_error ? STDERR_FILENO : STDOUT_FILENO;
    const bool terminal = isatty(fd_) == 1;
    use_table_ = settings_.format == OutputFormat::table || (settings_.format == OutputFormat::automatic && terminal);
    redraw_in_place_ = use_table_ && terminal;
    lines_on_screen_ = 0;
    stopping_ = false;
    printer_ = std::thread([this] { run(); });
}

void ConsoleSink::stop(int64_t) {
    if (!printer_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    printer_.join();
    print_summary();  // the last word: includes the frames delivered while stopping
}

void ConsoleSink::on_target(const zzp_target_info& target) {
    std::lock_guard lock(mutex_);
    window_.set_target(target.id, target.name ? target.name : "", target.address ? target.address : "");
}

zzp_status ConsoleSink::write(const zzp_batch& batch) {
    if (batch.kind != ZZP_BATCH_FRAMES || batch.frames == nullptr) return ZZP_OK;  // nothing else is asked for
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < batch.count; ++i) window_.add(batch.frames[i]);
    return ZZP_OK;
}

void ConsoleSink::run() {
    using std::chrono::steady_clock;
    const auto refresh = std::chrono::nanoseconds(settings_.refresh_ns);
    auto next = steady_clock::now() + refresh;
    std::unique_lock lock(mutex_);
    for (;;) {
        // Absolute deadlines on the monotonic clock: the cadence does not drift.
        if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
        lock.unlock();
        print_summary();
        lock.lock();
        next += refresh;
        if (next < steady_clock::now()) next = steady_clock::now() + refresh;  // no catch-up after a stall
    }
}

void ConsoleSink::print_summary() {
    std::string text;
    {
        std::lock_guard lock(mutex_);
        const int64_t now = host().wall_now_ns();
        std::vector<TargetSummary> rows = window_.summarize(now);
        text = use_table_ ? render_table(rows, now, settings_.window_ns) : render_lines(rows, now);
    }
    if (redraw_in_place_) {
        size_t lines = 0;
        std::string fitted = fit_to_terminal(text, fd_, &lines);
        // Up to the first line of the previous block, clear to the end of the screen, redraw.
        std::string prefix = lines_on_screen_ ? "\x1b[" + std::to_string(lines_on_screen_) + "F\x1b[J" : "";
        lines_on_screen_ = lines;
        write_all(fd_, prefix + fitted);
    } else {
        write_all(fd_, use_table_ ? text + "\n" : text);  // a blank line between table blocks
    }
}

}  // namespace zzp::console
