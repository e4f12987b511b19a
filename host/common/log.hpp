// Host logging: one line per message to stderr, with level and origin, thread-safe, and
// repeated identical messages from one origin rate-limited (a plugin in a tight error loop
// must not flood the journal). Plugin messages carry plugin id, instance id, library path
// and generation in their origin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <zzprobe/host.h>

namespace zzp::host {

enum class LogLevel { debug = ZZP_LOG_DEBUG, info = ZZP_LOG_INFO, warn = ZZP_LOG_WARN, error = ZZP_LOG_ERROR };

// Minimum level printed (default info; ZZPROBE_LOG=debug|info|warn|error overrides).
void set_log_level(LogLevel level);
LogLevel log_level();

// Where messages go; tests capture them. nullptr restores stderr.
using LogSink = void (*)(LogLevel level, std::string_view line, void* user);
void set_log_sink(LogSink sink, void* user);

// Log `message` from `origin` (e.g. "host", "config", or a plugin's
// "icmp/probe-1 (/path/zzp-icmp.so gen 1)"). Identical (origin, message) pairs repeated within
// 10 s are counted and summarised once instead of printed each time.
void log(LogLevel level, std::string_view origin, std::string_view message);

inline void log_info(std::string_view origin, std::string_view m) { log(LogLevel::info, origin, m); }
inline void log_warn(std::string_view origin, std::string_view m) { log(LogLevel::warn, origin, m); }
inline void log_error(std::string_view origin, std::string_view m) { log(LogLevel::error, origin, m); }
inline void log_debug(std::string_view origin, std::string_view m) { log(LogLevel::debug, origin, m); }

}  // namespace zzp::host
