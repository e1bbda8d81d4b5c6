#include "engine/common/json_log_formatter.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/common/log_control.h"

namespace dbmazz::logging {

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time), absl::UTCTimeZone());
  auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  std::string_view name(msg.logger_name.data(), msg.logger_name.size());
  std::string_view prefix = kPipelineLoggerPrefix;
  if (name.substr(0, prefix.size()) == prefix) {
    line["logger"] = "pipeline";
    line["pipeline"] = std::string(name.substr(prefix.size()));
  } else {
    line["logger"] = std::string(name);
  }
  line["message"] = std::string(msg.payload.data(), msg.payload.size());
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace dbmazz::logging
