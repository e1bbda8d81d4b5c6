#include "engine/snapshot/chunk_planner.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::snapshot {
namespace {

// Key quantiles come from a sample of whole blocks (TABLESAMPLE SYSTEM): a
// handful of page reads, where a row sample (BERNOULLI) reads every page,
// as long as a COPY of the table. Blocks hold runs of neighbouring keys
// when keys follow insertion order, so each boundary gets many blocks.
constexpr int64_t kSampleBlocksPerChunk = 20;
constexpr int64_t kMinSampleBlocks = 100;
constexpr int64_t kMaxChunksPerTable = 100000;

std::string Range(std::string_view column, const ChunkBounds& bounds, std::string_view cast) {
  std::vector<std::string> terms;
  if (bounds.lower) {
    terms.push_back(
        absl::StrCat(AsAbsl(column), " >= ", postgres::QuoteLiteral(*bounds.lower), AsAbsl(cast)));
  }
  if (bounds.upper) {
    terms.push_back(
        absl::StrCat(AsAbsl(column), " < ", postgres::QuoteLiteral(*bounds.upper), AsAbsl(cast)));
  }
  return absl::StrJoin(terms, " AND ");
}

}  // namespace

std::string_view ChunkingName(Chunking chunking) {
  switch (chunking) {
    case Chunking::kKeyRange:
      return "pk";
    case Chunking::kCtidRange:
      return "ctid";
    case Chunking::kWhole:
      break;
  }
  return "whole";
}

absl::StatusOr<Chunking> ParseChunking(std::string_view name) {
  if (name == "whole") return Chunking::kWhole;
  if (name == "pk") return Chunking::kKeyRange;
  if (name == "ctid") return Chunking::kCtidRange;
  return absl::DataLossError(absl::StrCat("unknown snapshot chunking '", AsAbsl(name), "'"));
}

std::vector<ChunkBounds> CtidChunks(int64_t pages, int64_t chunks) {
  std::vector<ChunkBounds> out;
  chunks = std::clamp<int64_t>(chunks, 1, std::max<int64_t>(pages, 1));
  int64_t per_chunk = (pages + chunks - 1) / chunks;
  std::optional<std::string> lower;
  for (int64_t i = 1; i < chunks; ++i) {
    std::string bound = absl::StrCat("(", i * per_chunk, ",0)");
    out.push_back(ChunkBounds{lower, bound});
    lower = bound;
  }
  out.push_back(ChunkBounds{lower, std::nullopt});
  return out;
}

absl::StatusOr<TablePlan> PlanTable(postgres::PgConnection& conn, const SnapshotTable& table,
                                    int64_t chunk_rows) {
  TablePlan plan;
  int64_t wanted = static_cast<int64_t>(
      std::ceil(table.rows_estimate / static_cast<double>(std::max<int64_t>(chunk_rows, 1))));
  wanted = std::min(wanted, kMaxChunksPerTable);
  if (wanted <= 1) {
    plan.chunks.push_back(ChunkBounds{});
    return plan;
  }
  if (table.primary_key.size() == 1) {
    std::string key = postgres::QuoteIdentifier(table.primary_key[0]);
    std::vector<std::string> fractions;
    for (int64_t i = 1; i < wanted; ++i) {
      fractions.push_back(absl::StrCat(static_cast<double>(i) / static_cast<double>(wanted)));
    }
    int64_t pages = std::max<int64_t>(table.pages, 1);
    int64_t blocks = std::max(kSampleBlocksPerChunk * wanted, kMinSampleBlocks);
    double percent =
        std::clamp(100.0 * static_cast<double>(blocks) / static_cast<double>(pages), 0.0001, 100.0);
    auto r = conn.Exec(
        absl::StrCat("SELECT b::text FROM (SELECT DISTINCT unnest(percentile_disc(ARRAY[",
                     absl::StrJoin(fractions, ","), "]::float8[]) WITHIN GROUP (ORDER BY ", key,
                     ")) AS b FROM ONLY ", table.Quoted(), " TABLESAMPLE SYSTEM (", percent,
                     ") REPEATABLE (42)) s WHERE b IS NOT NULL ORDER BY s.b"));
    if (!r.ok()) return r.status();
    if (r->rows() == 0) {  // an empty sample: the table is smaller than thought
      plan.chunks.push_back(ChunkBounds{});
      return plan;
    }
    plan.chunking = Chunking::kKeyRange;
    std::optional<std::string> lower;
    for (int i = 0; i < r->rows(); ++i) {
      std::string bound(r->Get(i, 0));
      plan.chunks.push_back(ChunkBounds{lower, bound});
      lower = std::move(bound);
    }
    plan.chunks.push_back(ChunkBounds{lower, std::nullopt});
    return plan;
  }
  if (conn.server_version() >= 140000 && table.pages > 1) {
    plan.chunking = Chunking::kCtidRange;
    plan.chunks = CtidChunks(table.pages, wanted);
    return plan;
  }
  plan.chunks.push_back(ChunkBounds{});
  return plan;
}

std::string ChunkCopySql(const SnapshotTable& table, Chunking chunking, const ChunkBounds& bounds) {
  std::vector<std::string> columns;
  for (const SnapshotColumn& c : table.columns) {
    columns.push_back(postgres::QuoteIdentifier(c.name));
  }
  std::string where;
  if (chunking == Chunking::kKeyRange && table.primary_key.size() == 1) {
    where = Range(postgres::QuoteIdentifier(table.primary_key[0]), bounds, "");
  } else if (chunking == Chunking::kCtidRange) {
    where = Range("ctid", bounds, "::tid");
  }
  return absl::StrCat("COPY (SELECT ", absl::StrJoin(columns, ", "), " FROM ONLY ", table.Quoted(),
                      where.empty() ? "" : " WHERE ", where, ") TO STDOUT");
}

}  // namespace dbmazz::snapshot
