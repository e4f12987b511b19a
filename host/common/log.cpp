#include "common/log.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

namespace zzp::host {
namespace {

struct RepeatState {
    std::chrono::steady_clock::time_point window_start;
    uint64_t suppressed = 0;
};

struct Logger {
    std::mutex mutex;
    LogLevel level = LogLevel::info;
    LogSink sink = nullptr;
    void* user = nullptr;
    std::unordered_map<std::string, RepeatState> repeats;

    Logger() {
        if (const char* env = std::getenv("ZZPROBE_LOG")) {
            if (!std::strcmp(env, "debug")) level = LogLevel::debug;
            else if (!std::strcmp(env, "warn")) level = LogLevel::warn;
            else if (!std::strcmp(env, "error")) level = LogLevel::error;
        }
    }
};

Logger& logger() {
    static Logger instance;
    return instance;
}

const char* level_name(LogLevel l) {
    switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warning";
    case LogLevel::error: return "error";
    }
    return "?";
}

constexpr auto kRepeatWindow = std::chrono::seconds(10);

void emit_line(Logger& lg, LogLevel level, const std::string& line) {
    if (lg.sink) {
        lg.sink(level, line, lg.user);
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

}  // namespace

void set_log_level(LogLevel level) {
    std::lock_guard lock(logger().mutex);
    logger().level = level;
}

LogLevel log_level() {
    std::lock_guard lock(logger().mutex);
    return logger().level;
}

void set_log_sink(LogSink sink, void* user) {
    std::lock_guard lock(logger().mutex);
    logger().sink = sink;
    logger().user = user;
}

void log(LogLevel level, std::string_view origin, std::string_view message) {
    Logger& lg = logger();
    std::lock_guard lock(lg.mutex);
    if (static_cast<int>(level) < static_cast<int>(lg.level)) return;
    std::string key;
    key.reserve(origin.size() + message.size() + 1);
    key.append(origin).push_back('\x1f');
    key.append(message);
    auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = lg.repeats.try_emplace(key, RepeatState{now, 0});
    if (!fresh) {
        if (now - it->second.window_start < kRepeatWindow) {
            ++it->second.suppressed;
            return;
        }
        if (it->second.suppressed > 0) {
            emit_line(lg, level,
                      "zzprobe: " + std::string(level_name(level)) + ": " + std::string(origin) + ": (previous message repeated " +
                          std::to_string(it->second.suppressed) + " more times)");
        }
        it->second = RepeatState{now, 0};
    }
    if (lg.repeats.size() > 4096) lg.repeats.clear();  // bound memory for ever-changing messages
    std::string line = "zzprobe: ";
    line += level_name(level);
    line += ": ";
    line.append(origin);
    line += ": ";
    line.append(message);
    emit_line(lg, level, line);
}

}  // namespace zzp::host
