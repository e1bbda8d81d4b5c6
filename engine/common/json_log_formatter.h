// An spdlog formatter writing one JSON object per line (dbmazzd
// --log-format json): {"time","level","logger","pipeline"?,"message"}.
//
//   {"time":"2026-12-04T15:40:00.123Z","level":"info","logger":"pipeline",
//    "pipeline":"shop-orders","message":"streaming from 0/1A2B3C"}
//
// The message is escaped by nlohmann-json (quotes, backslashes, control
// characters; invalid UTF-8 is replaced), so every line is valid JSON
// whatever it logs. Loggers named "pipeline <id>" (log_control.h) get
// "logger":"pipeline" and "pipeline":"<id>"; others their name.
//
// Thread-safety: as spdlog formatters (each sink owns its copy, used under
// the sink's mutex).
#ifndef DBMAZZ_ENGINE_COMMON_JSON_LOG_FORMATTER_H_
#define DBMAZZ_ENGINE_COMMON_JSON_LOG_FORMATTER_H_

#include <spdlog/formatter.h>

#include <memory>

namespace dbmazz::logging {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace dbmazz::logging

#endif  // DBMAZZ_ENGINE_COMMON_JSON_LOG_FORMATTER_H_
