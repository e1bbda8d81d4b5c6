#include "engine/snapshot/chunk_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::snapshot {
namespace {

SnapshotTable Table() {
  SnapshotTable t;
  t.name = postgres::TableName{"shop", "Orders"};
  t.columns = {{"id", 23, -1, true}, {"note", 25, -1, false}};
  t.primary_key = {"id"};
  return t;
}

TEST(ChunkPlannerTest, CtidChunksCoverEveryBlockWithOpenEnds) {
  std::vector<ChunkBounds> chunks = CtidChunks(10, 3);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_FALSE(chunks[0].lower.has_value());
  EXPECT_EQ(chunks[0].upper, "(4,0)");
  EXPECT_EQ(chunks[1].lower, "(4,0)");
  EXPECT_EQ(chunks[1].upper, "(8,0)");
  EXPECT_EQ(chunks[2].lower, "(8,0)");
  EXPECT_FALSE(chunks[2].upper.has_value());  // rows added later are still copied
  // Never more chunks than blocks, never none.
  EXPECT_EQ(CtidChunks(2, 50).size(), 2u);
  EXPECT_EQ(CtidChunks(0, 5).size(), 1u);
}

TEST(ChunkPlannerTest, CopySqlQuotesAndBoundsEachKind) {
  SnapshotTable t = Table();
  EXPECT_EQ(ChunkCopySql(t, Chunking::kWhole, {}),
            "COPY (SELECT \"id\", \"note\" FROM ONLY \"shop\".\"Orders\") TO STDOUT");
  EXPECT_EQ(ChunkCopySql(t, Chunking::kKeyRange, {"10", "it's"}),
            "COPY (SELECT \"id\", \"note\" FROM ONLY \"shop\".\"Orders\" WHERE \"id\" >= '10' "
            "AND \"id\" < 'it''s') TO STDOUT");
  EXPECT_EQ(ChunkCopySql(t, Chunking::kKeyRange, {std::nullopt, "5"}),
            "COPY (SELECT \"id\", \"note\" FROM ONLY \"shop\".\"Orders\" WHERE \"id\" < '5') "
            "TO STDOUT");
  EXPECT_EQ(ChunkCopySql(t, Chunking::kCtidRange, {"(4,0)", std::nullopt}),
            "COPY (SELECT \"id\", \"note\" FROM ONLY \"shop\".\"Orders\" WHERE ctid >= "
            "'(4,0)'::tid) TO STDOUT");
}

TEST(ChunkPlannerTest, ChunkingNamesRoundTrip) {
  for (Chunking c : {Chunking::kWhole, Chunking::kKeyRange, Chunking::kCtidRange}) {
    EXPECT_EQ(ParseChunking(ChunkingName(c)).value_or(Chunking::kWhole), c);
  }
  EXPECT_EQ(ParseChunking("hash").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dbmazz::snapshot
