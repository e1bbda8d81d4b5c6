#include "engine/metrics/pipeline_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

namespace dbmazz::metrics {
namespace {

using runtime::PipelineState;
using runtime::PipelineStatus;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

PipelineStatus Streaming(std::string id) {
  PipelineStatus p;
  p.pipeline_id = std::move(id);
  p.state = PipelineState::kStreaming;
  p.state_time = kNow - absl::Seconds(60);
  p.rows_inserted = 7;
  p.rows_updated = 5;
  p.rows_deleted = 3;
  p.transactions = 4;
  p.bytes_received = 1000;
  p.checkpoint_lsn = 0x16B374D848;
  p.loads_completed = 6;
  p.load_failures = 1;
  p.load_requests[static_cast<size_t>(sink::AttemptResult::kSuccess)] = 5;
  p.load_requests[static_cast<size_t>(sink::AttemptResult::kTimeout)] = 2;
  p.load_seconds.Observe(0.02);
  p.load_seconds.Observe(3);
  p.batch_rows.Observe(10);
  p.last_commit_time = kNow - absl::Seconds(30);
  runtime::SlotHealth slot;
  slot.sample_time = kNow - absl::Seconds(2);
  slot.exists = true;
  slot.active = true;
  slot.wal_status = "extended";
  slot.server_wal_lsn = 5000;
  slot.confirmed_flush_lsn = 4000;
  slot.restart_lsn = 3000;
  slot.retained_wal_bytes = 2000;
  p.slot = slot;
  p.lag_bytes = 1000;  // the engine's figure: server_wal_lsn - confirmed
  return p;
}

// Sample lines: "name{labels}" -> value.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

std::string Family(std::string name) {
  name = name.substr(0, name.find_first_of("{ "));
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.ends_with(s) && name.find("_seconds") != std::string::npos)
      return name.substr(0, name.size() - s.size());
    if (name.size() > s.size() && name.ends_with(s) && name.find("batch_rows") != std::string::npos)
      return name.substr(0, name.size() - s.size());
  }
  return name;
}

TEST(PipelineMetricsTest, EveryFamilyHasHelpAndTypeOnceAndContiguousSamples) {
  PipelineStatus a = Streaming("a");
  PipelineStatus b = Streaming("b");
  b.state = PipelineState::kPaused;
  std::string text = RenderMetrics({a, b}, kNow, ProcessSample{});
  std::istringstream in(text);
  std::set<std::string> typed, finished;
  std::string current;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << "two TYPE lines for " << name;
      continue;
    }
    if (line.starts_with("#")) continue;
    std::string family = Family(line);
    EXPECT_TRUE(typed.contains(family)) << "no TYPE before " << line;
    if (family != current) {
      EXPECT_FALSE(finished.contains(family)) << family << " is split";
      if (!current.empty()) finished.insert(current);
      current = family;
    }
  }
  EXPECT_TRUE(typed.contains("process_cpu_seconds_total"));
}

TEST(PipelineMetricsTest, StateIsOneHot) {
  PipelineStatus a = Streaming("a");
  PipelineStatus b = Streaming("b");
  b.state = PipelineState::kFailed;
  auto s = Samples(RenderMetrics({a, b}, kNow, std::nullopt));
  int ones_a = 0, ones_b = 0, zeros = 0;
  for (const auto& [key, value] : s) {
    if (!key.starts_with("dbmazz_pipeline_state{")) continue;
    bool one = value == "1";
    if (!one) ++zeros;
    if (one && key.find("pipeline=\"a\"") != std::string::npos) {
      ++ones_a;
      EXPECT_THAT(key, HasSubstr("state=\"streaming\""));
    }
    if (one && key.find("pipeline=\"b\"") != std::string::npos) {
      ++ones_b;
      EXPECT_THAT(key, HasSubstr("state=\"failed\""));
    }
  }
  EXPECT_EQ(ones_a, 1);
  EXPECT_EQ(ones_b, 1);
  EXPECT_EQ(zeros, 2 * 7);  // eight states each
}

TEST(PipelineMetricsTest, CountersLoadsAndLag) {
  auto s = Samples(RenderMetrics({Streaming("a")}, kNow, std::nullopt));
  EXPECT_EQ(s["dbmazz_rows_total{pipeline=\"a\",op=\"insert\"}"], "7");
  EXPECT_EQ(s["dbmazz_rows_total{pipeline=\"a\",op=\"update\"}"], "5");
  EXPECT_EQ(s["dbmazz_rows_total{pipeline=\"a\",op=\"delete\"}"], "3");
  EXPECT_EQ(s["dbmazz_transactions_total{pipeline=\"a\"}"], "4");
  EXPECT_EQ(s["dbmazz_source_received_bytes_total{pipeline=\"a\"}"], "1000");
  EXPECT_EQ(s["dbmazz_checkpoint_lsn{pipeline=\"a\"}"], std::to_string(0x16B374D848));
  EXPECT_EQ(s["dbmazz_stream_load_requests_total{pipeline=\"a\",result=\"success\"}"], "5");
  EXPECT_EQ(s["dbmazz_stream_load_requests_total{pipeline=\"a\",result=\"timeout\"}"], "2");
  EXPECT_EQ(s["dbmazz_stream_load_requests_total{pipeline=\"a\",result=\"http_error\"}"], "0");
  EXPECT_EQ(s["dbmazz_stream_loads_total{pipeline=\"a\",outcome=\"loaded\"}"], "5");
  EXPECT_EQ(s["dbmazz_stream_loads_total{pipeline=\"a\",outcome=\"failed\"}"], "1");
  EXPECT_EQ(s["dbmazz_stream_load_duration_seconds_bucket{pipeline=\"a\",le=\"0.025\"}"], "1");
  EXPECT_EQ(s["dbmazz_stream_load_duration_seconds_bucket{pipeline=\"a\",le=\"+Inf\"}"], "2");
  EXPECT_EQ(s["dbmazz_stream_load_duration_seconds_count{pipeline=\"a\"}"], "2");
  EXPECT_EQ(s["dbmazz_stream_load_batch_rows_bucket{pipeline=\"a\",le=\"10\"}"], "1");
  EXPECT_EQ(s["dbmazz_replication_lag_bytes{pipeline=\"a\"}"], "1000");
  EXPECT_EQ(s["dbmazz_slot_retained_wal_bytes{pipeline=\"a\"}"], "2000");
  EXPECT_EQ(s["dbmazz_slot_wal_status{pipeline=\"a\",wal_status=\"extended\"}"], "1");
  EXPECT_EQ(s["dbmazz_slot_wal_status{pipeline=\"a\",wal_status=\"reserved\"}"], "0");
  EXPECT_EQ(s["dbmazz_slot_wal_status{pipeline=\"a\",wal_status=\"lost\"}"], "0");
  EXPECT_EQ(s["dbmazz_slot_active{pipeline=\"a\"}"], "1");
  EXPECT_EQ(s["dbmazz_last_applied_commit_timestamp_seconds{pipeline=\"a\"}"], "1799999970");
  // Streaming with nothing pending: caught up.
  EXPECT_EQ(s["dbmazz_replication_lag_seconds{pipeline=\"a\"}"], "0");
}

TEST(PipelineMetricsTest, WarningsAreOneGaugePerKind) {
  PipelineStatus p = Streaming("a");
  p.warnings.push_back({runtime::WarningKind::kLagHigh, "lag 10 s above 5 s", kNow});
  auto s = Samples(RenderMetrics({p}, kNow, std::nullopt));
  EXPECT_EQ(s["dbmazz_pipeline_warning{pipeline=\"a\",kind=\"lag_high\"}"], "1");
  EXPECT_EQ(s["dbmazz_pipeline_warning{pipeline=\"a\",kind=\"retained_wal_high\"}"], "0");
  EXPECT_EQ(s["dbmazz_pipeline_warning{pipeline=\"a\",kind=\"slot_wal_unreserved\"}"], "0");
}

TEST(PipelineMetricsTest, LagSecondsIsTheEnginesLag) {
  PipelineStatus p = Streaming("a");
  p.lag = absl::Seconds(4);
  EXPECT_EQ(LagSeconds(p, kNow), 4.0);
  std::string text = RenderMetrics({p}, kNow, std::nullopt);
  EXPECT_THAT(text, HasSubstr("dbmazz_replication_lag_seconds{pipeline=\"a\"} 4\n"));
  p.lag = absl::ZeroDuration();
  EXPECT_EQ(LagSeconds(p, kNow), 0.0);
}

TEST(PipelineMetricsTest, NoSlotSampleNoSlotSeriesAndMissingSlotSaysSo) {
  PipelineStatus p = Streaming("a");
  p.slot.reset();
  std::string text = RenderMetrics({p}, kNow, std::nullopt);
  EXPECT_THAT(text, Not(HasSubstr("dbmazz_slot_wal_status{")));
  EXPECT_THAT(text, Not(HasSubstr("dbmazz_replication_lag_bytes{")));
  p.slot = runtime::SlotHealth{};
  p.slot->sample_time = kNow;
  auto s = Samples(RenderMetrics({p}, kNow, std::nullopt));
  EXPECT_EQ(s["dbmazz_slot_exists{pipeline=\"a\"}"], "0");
  EXPECT_EQ(s.count("dbmazz_slot_retained_wal_bytes{pipeline=\"a\"}"), 0u);
}

TEST(PipelineMetricsTest, ErrorsByKindAndSnapshotTables) {
  PipelineStatus p = Streaming("a\"b");
  p.retries = 3;
  p.errors_by_code[static_cast<size_t>(absl::StatusCode::kUnavailable)] = 3;
  p.errors_by_code[static_cast<size_t>(absl::StatusCode::kFailedPrecondition)] = 1;
  p.snapshot = runtime::SnapshotStatus{};
  p.snapshot->tables.push_back({"public.orders", 90, 100, 2, 3});
  auto s = Samples(RenderMetrics({p}, kNow, std::nullopt));
  EXPECT_EQ(s["dbmazz_pipeline_retries_total{pipeline=\"a\\\"b\"}"], "3");
  EXPECT_EQ(s["dbmazz_pipeline_errors_total{pipeline=\"a\\\"b\",kind=\"unavailable\"}"], "3");
  EXPECT_EQ(s["dbmazz_pipeline_errors_total{pipeline=\"a\\\"b\",kind=\"failed_precondition\"}"],
            "1");
  EXPECT_EQ(s.count("dbmazz_pipeline_errors_total{pipeline=\"a\\\"b\",kind=\"internal\"}"), 0u);
  EXPECT_EQ(s["dbmazz_snapshot_done{pipeline=\"a\\\"b\"}"], "0");
  EXPECT_EQ(s["dbmazz_snapshot_rows_copied{pipeline=\"a\\\"b\",table=\"public.orders\"}"], "90");
  EXPECT_EQ(s["dbmazz_snapshot_chunks_done{pipeline=\"a\\\"b\",table=\"public.orders\"}"], "2");
  EXPECT_EQ(s["dbmazz_snapshot_chunks{pipeline=\"a\\\"b\",table=\"public.orders\"}"], "3");
}

}  // namespace
}  // namespace dbmazz::metrics
