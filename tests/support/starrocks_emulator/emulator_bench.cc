// bench_emulator: how fast the emulator ingests JSON Stream Loads.
//
//   BM_StreamLoadViaFe      libcurl client -> FE 307 -> BE, 10k-row batches
//   BM_StreamLoadDirectBe   the same straight to the BE
//   BM_ConvertAndApply      the BE's work alone (parse, convert, apply) on one
//                           thread, no HTTP
//   BM_FillNewTable         the same into an empty table, 1M new keys (a
//                           snapshot: every row an insert, the table grows)
//   BM_MemoryPerRow         RSS growth per stored row (1M rows)
//
// Rows have 6 columns (BIGINT key, VARCHAR, DECIMAL, INT, DATETIME, STRING).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/emulator.h"
#include "tests/support/starrocks_emulator/row_converter.h"
#include "tests/support/starrocks_emulator/stream_load_client.h"
#include "tests/support/starrocks_emulator/table_data.h"

namespace dbmazz::starrocks_emulator {
namespace {

constexpr char kSchema[] = R"yaml(
databases:
  - name: bench
    tables:
      - name: t
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: name, type: "VARCHAR(32)"}
          - {name: amount, type: "DECIMAL(12,2)"}
          - {name: qty, type: INT}
          - {name: created, type: DATETIME}
          - {name: note, type: STRING}
)yaml";

constexpr int kBatchRows = 10000;
constexpr int64_t kKeySpace = 1000000;

std::string MakeBatch(int64_t first_id, int rows) {
  std::string body = "[";
  for (int i = 0; i < rows; ++i) {
    int64_t id = (first_id + i) % kKeySpace;
    if (i > 0) body.push_back(',');
    absl::StrAppend(&body, R"({"id":)", id, R"(,"name":"customer-)", id % 977, R"(","amount":")",
                    id % 100000, ".", id % 100, R"(","qty":)", id % 50, R"(,"created":"2024-05-)",
                    10 + id % 18, " 12:", 10 + id % 50, R"(:00","note":"note )", id, R"("})");
  }
  body.push_back(']');
  return body;
}

std::unique_ptr<StarRocksEmulator> StartEmulator() {
  EmulatorOptions options;
  options.schema = *ParseSchema(kSchema);
  return *StarRocksEmulator::Start(std::move(options));
}

void RunHttp(benchmark::State& state, bool via_fe) {
  auto emulator = StartEmulator();
  StreamLoadClient client(via_fe ? emulator->fe_url() : emulator->be_url(), "root", "");
  int64_t next_id = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t batch = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = MakeBatch(next_id, kBatchRows);
    next_id += kBatchRows;
    RequestOptions options;
    options.headers = {
        {"format", "json"}, {"strip_outer_array", "true"}, {"label", absl::StrCat("b", batch++)}};
    state.ResumeTiming();
    HttpResult r = client.StreamLoad("bench", "t", body, options);
    if (r.status != 200 || r.body.find("\"Success\"") == std::string::npos) {
      state.SkipWithError(("load failed: " + r.body + r.curl_error).c_str());
      break;
    }
    rows += kBatchRows;
    bytes += static_cast<int64_t>(body.size());
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(bytes);
}

void BM_StreamLoadViaFe(benchmark::State& state) { RunHttp(state, true); }
void BM_StreamLoadDirectBe(benchmark::State& state) { RunHttp(state, false); }
BENCHMARK(BM_StreamLoadViaFe)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamLoadDirectBe)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ConvertAndApply(benchmark::State& state) {
  auto schema = *ParseSchema(kSchema);
  TableData table(schema.tables[0]);
  LoadOptions options;
  options.format = "json";
  options.strip_outer_array = true;
  LoadPlan plan = *MakeLoadPlan(table.spec(), options);
  int64_t next_id = 0;
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = MakeBatch(next_id, kBatchRows);
    next_id += kBatchRows;
    state.ResumeTiming();
    auto converted = ConvertBody(plan, body);
    if (!converted.ok() || converted->filtered_rows != 0) {
      state.SkipWithError("conversion failed");
      break;
    }
    table.Apply(converted->ops, {});
    rows += kBatchRows;
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConvertAndApply)->Unit(benchmark::kMillisecond);

void BM_FillNewTable(benchmark::State& state) {
  auto schema = *ParseSchema(kSchema);
  LoadOptions options;
  options.format = "json";
  options.strip_outer_array = true;
  std::vector<std::string> bodies;
  for (int64_t id = 0; id < kKeySpace; id += kBatchRows)
    bodies.push_back(MakeBatch(id, kBatchRows));
  int64_t rows = 0;
  for (auto _ : state) {
    auto table = std::make_unique<TableData>(schema.tables[0]);
    LoadPlan plan = *MakeLoadPlan(table->spec(), options);
    for (const std::string& body : bodies) {
      auto converted = ConvertBody(plan, body);
      if (!converted.ok() || converted->filtered_rows != 0) {
        state.SkipWithError("conversion failed");
        return;
      }
      table->Apply(converted->ops, {});
    }
    rows += static_cast<int64_t>(table->RowCount());
    state.PauseTiming();
    table.reset();
    state.ResumeTiming();
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FillNewTable)->Iterations(3)->Unit(benchmark::kMillisecond);

long RssBytes() {
  long pages = 0;
  long resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * 4096;
}

void BM_MemoryPerRow(benchmark::State& state) {
  auto schema = *ParseSchema(kSchema);
  LoadOptions options;
  options.format = "json";
  options.strip_outer_array = true;
  for (auto _ : state) {
    TableData table(schema.tables[0]);
    LoadPlan plan = *MakeLoadPlan(table.spec(), options);
    long before = RssBytes();
    for (int64_t id = 0; id < kKeySpace; id += kBatchRows) {
      auto converted = ConvertBody(plan, MakeBatch(id, kBatchRows));
      table.Apply(converted->ops, {});
    }
    long after = RssBytes();
    state.counters["bytes_per_row"] =
        static_cast<double>(after - before) / static_cast<double>(table.RowCount());
  }
}
BENCHMARK(BM_MemoryPerRow)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbmazz::starrocks_emulator

BENCHMARK_MAIN();
