// dbmazz's logging set-up and runtime level control (spdlog).
//
//   SetUpLogging("json", "info");                 // dbmazzd, once, at start
//   auto log = PipelineLogger("shop-orders");     // every line names the pipeline
//   SetLogLevel("debug");                         // RPC / signal: every logger at once
//
// Every logger shares the default logger's sinks (stderr in dbmazzd), so
// the format applies to all. Pipeline loggers are registered with spdlog,
// which is how a level change reaches them. Levels: trace, debug, info,
// warn, error, critical, off.
//
// Thread-safety: thread-safe (spdlog's registry is).
#ifndef DBMAZZ_ENGINE_COMMON_LOG_CONTROL_H_
#define DBMAZZ_ENGINE_COMMON_LOG_CONTROL_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace spdlog {
class logger;
}

namespace dbmazz::logging {

// Pipeline loggers are named kPipelineLoggerPrefix + id.
inline constexpr std::string_view kPipelineLoggerPrefix = "pipeline ";

// Replaces the default logger with one named `name` writing to stderr, in
// `format` ("text": spdlog's default pattern, colored on a terminal;
// "json": JsonLogFormatter) at `level`. kInvalidArgument for an unknown
// format or level (nothing changed).
[[nodiscard]] absl::Status SetUpLogging(std::string_view name, std::string_view format,
                                        std::string_view level);

// A logger "pipeline <id>" sharing the default logger's sinks and level,
// registered so that SetLogLevel reaches it (replacing a previous one of the
// same name).
std::shared_ptr<spdlog::logger> PipelineLogger(std::string_view pipeline_id);
// Unregisters `logger` unless another has taken its name since.
void DropLogger(const std::shared_ptr<spdlog::logger>& logger);

// Every logger, and those made later. kInvalidArgument "level: ..." for a
// name not in the list above.
[[nodiscard]] absl::Status SetLogLevel(std::string_view level);
// The default logger's level name.
std::string LogLevel();
// One step more verbose (e.g. info -> debug -> trace, which stays); the new
// level's name.
std::string MoreVerbose();

}  // namespace dbmazz::logging

#endif  // DBMAZZ_ENGINE_COMMON_LOG_CONTROL_H_
