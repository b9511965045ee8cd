#include "core/log.h"

#include "core/calendar.h"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace bh {
namespace {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn" || text == "warning") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else if (text == "off") out = LogLevel::kOff;
  else return false;
  return true;
}

Logger::Logger(std::string name, LogLevel min_level, std::shared_ptr<spdlog::logger> sink, const Clock& clock)
    : name_(std::move(name)), min_level_(min_level), sink_(std::move(sink)), clock_(&clock) {}

std::shared_ptr<Logger> Logger::to_stderr(std::string name, LogLevel min_level, const Clock& clock) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  // Not registered in spdlog's global registry: the Logger owns its spdlog logger.
  auto spd = std::make_shared<spdlog::logger>("buildhub", std::move(sink));
  spd->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v"));
  spd->set_level(spdlog::level::trace);
  spd->flush_on(spdlog::level::trace);
  return std::make_shared<Logger>(std::move(name), min_level, std::move(spd), clock);
}

std::shared_ptr<Logger> Logger::null() {
  return std::make_shared<Logger>("null", LogLevel::kOff, nullptr, system_clock());
}

std::shared_ptr<Logger> Logger::child(std::string name) const {
  return std::make_shared<Logger>(std::move(name), min_level_, sink_, *clock_);
}

void Logger::log(LogLevel level, std::string_view msg, const nlohmann::json& fields) const {
  if (!sink_ || !enabled(level)) return;
  nlohmann::ordered_json line;
  line["time"] = format_utc(clock_->wall_now(), 3);
  line["level"] = level_name(level);
  line["logger"] = name_;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // `replace` keeps a log line from throwing on a non-UTF-8 path or value.
  sink_->info(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace bh
