#pragma once
// Logging to stderr, one line per event, with a level filter checked before any formatting.
#include <cstdarg>
#include <string>

namespace fulcrum::base {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
[[gnu::format(printf, 2, 3)]] void log_write(LogLevel level, const char* fmt, ...);

// Opens a file that lines are appended to (created if missing): its descriptor, or -1 with
// *error saying why.
int open_log_file(const std::string& path, std::string* error);

}  // namespace fulcrum::base

#define FULCRUM_LOG(level, ...)                                                              \
  do {                                                                                       \
    if (::fulcrum::base::log_enabled(level)) ::fulcrum::base::log_write(level, __VA_ARGS__); \
  } while (0)
#define LOG_ERROR(...) FULCRUM_LOG(::fulcrum::base::LogLevel::kError, __VA_ARGS__)
#define LOG_WARN(...) FULCRUM_LOG(::fulcrum::base::LogLevel::kWarn, __VA_ARGS__)
#define LOG_INFO(...) FULCRUM_LOG(::fulcrum::base::LogLevel::kInfo, __VA_ARGS__)
#define LOG_DEBUG(...) FULCRUM_LOG(::fulcrum::base::LogLevel::kDebug, __VA_ARGS__)
