// Stream Load JSON encoding throughput of decoded pgoutput rows. Run in
// Release:
//   cmake --build <build dir> --target bench_encode && <build dir>/tests/bench/bench_encode
// The row: id int8, name text, amount numeric(12,2), created_at timestamptz,
// active bool, attrs jsonb. Reports items_per_second (rows per second, one
// core), bytes_per_row of JSON produced and allocs_per_row (global operator
// new calls per row; expected 0 once the batch buffer has grown).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/pgoutput/relation_cache.h"
#include "engine/sink/row_encoder.h"
#include "tests/support/alloc_counter.h"

namespace dbmazz::sink {
namespace {

using pgoutput::ColumnKind;
using pgoutput::ColumnValue;
using pgoutput::Relation;
using pgoutput::TupleData;

constexpr size_t kBatchBytes = 4 << 20;  // flush (clear) the body at ~4 MiB

Relation SixColumns() {
  Relation rel;
  rel.id = 16384;
  rel.schema = std::string("public");
  rel.name = std::string("orders");
  rel.generation = 1;
  const int32_t numeric_12_2 = ((12 << 16) | 2) + 4;
  rel.columns = {{"id", 20, -1, true},
                 {"name", 25, -1, false},
                 {"amount", 1700, numeric_12_2, false},
                 {"created_at", 1184, -1, false},
                 {"active", 16, -1, false},
                 {"attrs", 3802, -1, false}};
  rel.key_columns = {0};
  return rel;
}

// Owns the text of `count` distinct rows and their TupleData views.
struct Rows {
  explicit Rows(int count) {
    texts.reserve(static_cast<size_t>(count) * 6);
    for (int i = 0; i < count; ++i) {
      texts.push_back(std::to_string(1000000000LL + i * 7919LL));
      texts.push_back("Customer name #" + std::to_string(i) + (i % 3 ? "" : " \"vip\""));
      texts.push_back(std::to_string(i % 100000) + "." + std::to_string(10 + i % 90));
      texts.push_back("2024-03-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(i % 28 + 1) +
                      " 12:34:56." + std::to_string(100000 + i % 900000) + "+00");
      texts.push_back(i % 2 ? "t" : "f");
      texts.push_back(R"({"tier": "gold", "tags": ["a", "b"], "score": )" + std::to_string(i) +
                      "}");
    }
    for (int i = 0; i < count; ++i) {
      TupleData t;
      for (int c = 0; c < 6; ++c) {
        t.columns.push_back({ColumnKind::kText, texts[static_cast<size_t>(i * 6 + c)]});
      }
      tuples.push_back(std::move(t));
    }
  }
  std::vector<std::string> texts;
  std::vector<TupleData> tuples;
};

void EncodeRows(benchmark::State& state, int distinct_rows) {
  const Relation rel = SixColumns();
  const Rows rows(distinct_rows);
  RowEncoder encoder;
  EncodeStats stats;
  ColumnMask mask;
  std::string body;
  body.reserve(kBatchBytes + 4096);
  // Warm-up: builds the relation plan.
  if (!encoder.AppendUpsert(rel, rows.tuples[0], nullptr, 0, &body, &mask, &stats).ok()) {
    state.SkipWithError("row does not encode");
    return;
  }
  body.clear();
  int64_t bytes = 0;
  size_t next = 0;
  const long allocations_before = dbmazz::testing::AllocationCount();
  for (auto _ : state) {
    if (body.size() > kBatchBytes) {
      bytes += static_cast<int64_t>(body.size());
      body.clear();
    }
    body.push_back(body.empty() ? '[' : ',');
    absl::Status st =
        encoder.AppendUpsert(rel, rows.tuples[next], nullptr, 0, &body, &mask, &stats);
    if (!st.ok()) {
      state.SkipWithError("row does not encode");
      return;
    }
    if (++next == rows.tuples.size()) next = 0;
    benchmark::DoNotOptimize(body.data());
  }
  const long allocations = dbmazz::testing::AllocationCount() - allocations_before;
  bytes += static_cast<int64_t>(body.size());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.counters["bytes_per_row"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
  state.counters["allocs_per_row"] = benchmark::Counter(static_cast<double>(allocations) /
                                                        static_cast<double>(state.iterations()));
}

void BM_EncodeUpsertSameRow(benchmark::State& state) { EncodeRows(state, 1); }
void BM_EncodeUpsert1000Rows(benchmark::State& state) { EncodeRows(state, 1000); }

void BM_EncodeDelete(benchmark::State& state) {
  const Relation rel = SixColumns();
  const Rows rows(1);
  RowEncoder encoder;
  EncodeStats stats;
  std::string body;
  body.reserve(kBatchBytes + 4096);
  if (!encoder.AppendDelete(rel, rows.tuples[0], &body, &stats).ok()) {  // warm-up: plan
    state.SkipWithError("row does not encode");
    return;
  }
  body.clear();
  const long allocations_before = dbmazz::testing::AllocationCount();
  for (auto _ : state) {
    if (body.size() > kBatchBytes) body.clear();
    body.push_back(body.empty() ? '[' : ',');
    if (!encoder.AppendDelete(rel, rows.tuples[0], &body, &stats).ok()) {
      state.SkipWithError("row does not encode");
      return;
    }
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_row"] = benchmark::Counter(
      static_cast<double>(dbmazz::testing::AllocationCount() - allocations_before) /
      static_cast<double>(state.iterations()));
}

BENCHMARK(BM_EncodeUpsertSameRow);
BENCHMARK(BM_EncodeUpsert1000Rows);
BENCHMARK(BM_EncodeDelete);

}  // namespace
}  // namespace dbmazz::sink

BENCHMARK_MAIN();
