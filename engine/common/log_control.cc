#include "engine/common/log_control.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/common/json_log_formatter.h"

namespace dbmazz::logging {

namespace {

constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                        "error", "critical", "off"};

std::optional<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kLevels)); ++i) {
    if (kLevels[i] == name) return static_cast<spdlog::level::level_enum>(i);
  }
  return std::nullopt;
}

std::string LevelName(spdlog::level::level_enum level) {
  int i = static_cast<int>(level);
  return i >= 0 && i < static_cast<int>(std::size(kLevels)) ? std::string(kLevels[i]) : "info";
}

absl::Status BadLevel(std::string_view level) {
  return absl::InvalidArgumentError(
      absl::StrCat("level: \"", std::string(level),
                   "\" is not one of trace, debug, info, warn, error, critical, off"));
}

}  // namespace

absl::Status SetUpLogging(std::string_view name, std::string_view format, std::string_view level) {
  auto parsed = ParseLevel(level);
  if (!parsed.has_value()) return BadLevel(level);
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("log format: \"", std::string(format), "\" is not text or json"));
  }
  std::shared_ptr<spdlog::logger> logger;
  spdlog::drop(std::string(name));
  if (format == "json") {
    // Plain stderr: colors would break the JSON lines.
    logger = spdlog::stderr_logger_mt(std::string(name));
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger = spdlog::stderr_color_mt(std::string(name));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(*parsed);
  return absl::OkStatus();
}

std::shared_ptr<spdlog::logger> PipelineLogger(std::string_view pipeline_id) {
  std::string name = absl::StrCat(std::string(kPipelineLoggerPrefix), std::string(pipeline_id));
  auto logger = spdlog::default_logger()->clone(name);
  spdlog::drop(name);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    // Registered by another thread meanwhile: this one still logs, at the
    // level of the moment.
  }
  return logger;
}

void DropLogger(const std::shared_ptr<spdlog::logger>& logger) {
  if (logger == nullptr) return;
  if (spdlog::get(logger->name()) == logger) spdlog::drop(logger->name());
}

absl::Status SetLogLevel(std::string_view level) {
  auto parsed = ParseLevel(level);
  if (!parsed.has_value()) return BadLevel(level);
  spdlog::set_level(*parsed);
  return absl::OkStatus();
}

std::string LogLevel() { return LevelName(spdlog::default_logger()->level()); }

std::string MoreVerbose() {
  spdlog::level::level_enum level = spdlog::default_logger()->level();
  auto next = level <= spdlog::level::trace ? spdlog::level::trace
                                            : static_cast<spdlog::level::level_enum>(level - 1);
  spdlog::set_level(next);
  return LevelName(next);
}

}  // namespace dbmazz::logging
