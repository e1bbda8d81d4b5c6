// Splits a table into chunks that separate connections can copy at once,
// each small enough that memory and retries stay bounded:
//   - kKeyRange: a single-column primary key, split at quantiles of a sample
//     of its values (any orderable type); the bounds are key values as text;
//   - kCtidRange: otherwise, on PostgreSQL 14+ (which scans TID ranges
//     efficiently), ranges of heap blocks "(block,0)";
//   - kWhole: one chunk (small tables, or no better way).
// The first chunk has no lower bound and the last no upper bound, so rows
// added beyond the planned range are still copied. Key ranges mean the same
// rows under any later snapshot; block ranges do not (an UPDATE or VACUUM
// FULL moves rows), which is why a resumed snapshot re-copies a
// ctid-chunked table from its first chunk.
//
// Thread-safety: free functions. Errors: libpq errors of the sampling query.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_CHUNK_PLANNER_H_
#define DBMAZZ_ENGINE_SNAPSHOT_CHUNK_PLANNER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/postgres/pg_connection.h"
#include "engine/snapshot/snapshot_table.h"

namespace dbmazz::snapshot {

enum class Chunking { kWhole, kKeyRange, kCtidRange };

// "whole", "pk", "ctid" (as stored in the state database).
std::string_view ChunkingName(Chunking chunking);
// The inverse; kDataLoss for anything else.
[[nodiscard]] absl::StatusOr<Chunking> ParseChunking(std::string_view name);

struct ChunkBounds {
  std::optional<std::string> lower;  // inclusive; nullopt: unbounded
  std::optional<std::string> upper;  // exclusive; nullopt: unbounded
};

struct TablePlan {
  Chunking chunking = Chunking::kWhole;
  std::vector<ChunkBounds> chunks;  // at least one
};

// Plans `table` for chunks of about `chunk_rows` rows (>= 1).
[[nodiscard]] absl::StatusOr<TablePlan> PlanTable(postgres::PgConnection& conn,
                                                  const SnapshotTable& table, int64_t chunk_rows);

// Block ranges for a table of `pages` blocks cut into `chunks` (pure; for
// tests and PlanTable).
std::vector<ChunkBounds> CtidChunks(int64_t pages, int64_t chunks);

// COPY (SELECT <published columns> FROM ONLY <table> [WHERE <range>]) TO STDOUT
std::string ChunkCopySql(const SnapshotTable& table, Chunking chunking, const ChunkBounds& bounds);

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_CHUNK_PLANNER_H_
