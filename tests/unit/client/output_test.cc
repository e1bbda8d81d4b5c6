#include "client/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OutputTest, ProgressBar) {
  EXPECT_EQ(ProgressBar(0, 10), "[..........]   0%");
  EXPECT_EQ(ProgressBar(0.25, 4), "[#...]  25%");
  EXPECT_EQ(ProgressBar(1, 4), "[####] 100%");
  EXPECT_EQ(ProgressBar(7, 4), "[####] 100%");  // clamped
}

v1::Pipeline Snapshotting() {
  v1::Pipeline p;
  p.set_pipeline_id("shop");
  p.set_state(v1::Pipeline::SNAPSHOTTING);
  p.set_message("copying existing rows");
  v1::SnapshotProgress* s = p.mutable_snapshot();
  s->set_attempt(1);
  s->set_rows_copied(500);
  s->set_rows_estimate(2000);
  s->set_chunks_done(1);
  s->set_chunks_total(4);
  s->set_rows_per_second(250);
  v1::SnapshotProgress::Table* t = s->add_tables();
  t->set_table("public.orders");
  t->set_rows_copied(500);
  t->set_rows_estimate(2000);
  t->set_chunks_done(1);
  t->set_chunks_total(4);
  return p;
}

TEST(OutputTest, WatchTableShowsSnapshotProgress) {
  std::string table = PipelinesTable({Snapshotting()});
  EXPECT_THAT(table, HasSubstr("SNAPSHOTTING"));
  EXPECT_THAT(table,
              HasSubstr("[#####...............]  25% 500/2000 rows, 1/4 chunks, 250 rows/s"));
}

TEST(OutputTest, DetailListsTablesAndEstimateNeverBelowCopied) {
  v1::Pipeline p = Snapshotting();
  p.mutable_snapshot()->set_rows_copied(2500);  // the estimate was low
  p.mutable_snapshot()->set_done(true);
  std::string detail = PipelineDetail(p);
  EXPECT_THAT(detail, HasSubstr("done, [####################] 100% 2500/2500 rows"));
  EXPECT_THAT(detail, HasSubstr("public.orders:"));
  EXPECT_THAT(detail, HasSubstr("500/2000 rows, 1/4 chunks"));
}

TEST(OutputTest, WarningsShowInTheTableAndTheDetail) {
  v1::Pipeline p;
  p.set_pipeline_id("shop");
  p.set_state(v1::Pipeline::PAUSED);
  p.mutable_stats()->set_lag_seconds(42.25);
  std::string quiet = PipelinesTable({p});
  EXPECT_THAT(quiet, HasSubstr("WARN"));
  EXPECT_THAT(quiet, HasSubstr("42.2s"));
  EXPECT_THAT(quiet, Not(HasSubstr("LAG_HIGH")));

  p.mutable_stats()->set_server_wal_lsn("0/5000000");
  p.mutable_stats()->set_lag_bytes(3 << 20);
  v1::PipelineWarning* w = p.add_warnings();
  w->set_kind(v1::PipelineWarning::RETAINED_WAL_HIGH);
  w->set_message("the replication slot retains 3.0 MiB of WAL");
  w->mutable_since()->set_seconds(1700000000);
  p.add_warnings()->set_kind(v1::PipelineWarning::LAG_HIGH);
  std::string table = PipelinesTable({p});
  EXPECT_THAT(table, HasSubstr("42.2s / 3.0 MiB"));
  EXPECT_THAT(table, HasSubstr("RETAINED_WAL_HIGH,LAG_HIGH"));
  std::string detail = PipelineDetail(p);
  EXPECT_THAT(detail, HasSubstr("WARNING:"));
  EXPECT_THAT(detail, HasSubstr("RETAINED_WAL_HIGH since 2023-11-14T22:13:20Z: the replication "
                                "slot retains 3.0 MiB of WAL"));
}

}  // namespace
}  // namespace dbmazz::client
