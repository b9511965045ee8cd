// Structured logging: one JSON object per line on stderr (or a file), built on spdlog's sinks.
//
//   logger.info("request", {{"method", "GET"}, {"path", "/api/records"}, {"status", 200}});
//   -> {"time":"2026-11-23T10:00:00.123Z","level":"info","logger":"server","msg":"request",
//       "method":"GET","path":"/api/records","status":200}
//
// A Logger is an ordinary object owned by main and passed to whoever logs; there is no global
// logger. Engines do not log: they return Status and leave reporting to the faces.
// Thread safety: all member functions are safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace spdlog { class logger; }

namespace bh {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error", "off"; nullopt-like false on anything else.
bool parse_log_level(std::string_view text, LogLevel& out);

class Logger {
 public:
  // A logger named `name` writing to stderr at `min_level` and above, stamping lines with
  // `clock`'s wall time (it must outlive the logger).
  static std::shared_ptr<Logger> to_stderr(std::string name, LogLevel min_level, const Clock& clock = system_clock());
  // A logger that drops everything (tests, library use).
  static std::shared_ptr<Logger> null();

  // Same sink and level, another name ("server", "ingest").
  std::shared_ptr<Logger> child(std::string name) const;

  void log(LogLevel level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const;
  void debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const {
    log(LogLevel::kDebug, msg, fields);
  }
  void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const {
    log(LogLevel::kInfo, msg, fields);
  }
  void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const {
    log(LogLevel::kWarn, msg, fields);
  }
  void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const {
    log(LogLevel::kError, msg, fields);
  }
  bool enabled(LogLevel level) const { return level >= min_level_ && min_level_ != LogLevel::kOff; }

  Logger(std::string name, LogLevel min_level, std::shared_ptr<spdlog::logger> sink, const Clock& clock);

 private:
  std::string name_;
  LogLevel min_level_;
  std::shared_ptr<spdlog::logger> sink_;  // null: drop everything
  const Clock* clock_;
};

}  // namespace bh
