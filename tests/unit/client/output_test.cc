#include "client/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::client {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace dbmazz::client
