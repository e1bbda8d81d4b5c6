#include "engine/common/json_log_formatter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/common/log_control.h"

namespace dbmazz::logging {
namespace {

nlohmann::json Format(const std::string& logger, const std::string& message) {
  spdlog::details::log_msg msg(logger, spdlog::level::warn, message);
  JsonLogFormatter formatter;
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  std::string line(out.data(), out.size());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the message
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  return nlohmann::json::parse(line, nullptr, false);
}

TEST(JsonLogFormatterTest, EscapesEverythingAndNamesThePipeline) {
  nlohmann::json j = Format("pipeline shop-1", "say \"hi\"\n\tback\\slash \x01 and \xff");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["logger"], "pipeline");
  EXPECT_EQ(j["pipeline"], "shop-1");
  EXPECT_THAT(j["message"].get<std::string>(),
              ::testing::StartsWith("say \"hi\"\n\tback\\slash \x01 and "));
  EXPECT_THAT(j["time"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z"));
  nlohmann::json other = Format("dbmazzd", "engine open");
  EXPECT_EQ(other["logger"], "dbmazzd");
  EXPECT_FALSE(other.contains("pipeline"));
}

TEST(LogControlTest, LevelsReachPipelineLoggersMadeBefore) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  ASSERT_TRUE(SetLogLevel("info").ok());
  auto log = PipelineLogger("p1");
  log->debug("hidden");
  ASSERT_TRUE(SetLogLevel("debug").ok());
  EXPECT_EQ(LogLevel(), "debug");
  log->debug("shown");
  EXPECT_EQ(MoreVerbose(), "trace");
  EXPECT_EQ(MoreVerbose(), "trace");
  EXPECT_EQ(SetLogLevel("loud").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.str(), ::testing::Not(::testing::HasSubstr("hidden")));
  EXPECT_THAT(out.str(), ::testing::HasSubstr("[pipeline p1] [debug] shown"));
  DropLogger(log);
  EXPECT_EQ(spdlog::get("pipeline p1"), nullptr);
}

}  // namespace
}  // namespace dbmazz::logging
