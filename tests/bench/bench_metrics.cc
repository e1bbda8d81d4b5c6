// Cost of one /metrics scrape body: rendering N pipelines' statuses (every
// family, histograms and slot samples included) plus the process metrics.
// The copy of the statuses (Engine::List()) is measured too. Run in Release:
//   cmake --build <build dir> --target bench_metrics && <build dir>/tests/bench/bench_metrics
#include <benchmark/benchmark.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/metrics/pipeline_metrics.h"
#include "engine/metrics/process_metrics.h"

namespace dbmazz::metrics {
namespace {

std::vector<runtime::PipelineStatus> Pipelines(int n) {
  std::vector<runtime::PipelineStatus> out;
  absl::Time now = absl::Now();
  for (int i = 0; i < n; ++i) {
    runtime::PipelineStatus p;
    p.pipeline_id = absl::StrCat("pipeline-", i);
    p.state = runtime::PipelineState::kStreaming;
    p.state_time = now;
    p.rows_inserted = 1000000 + i;
    p.rows_updated = 50000;
    p.rows_deleted = 1000;
    p.transactions = 90000;
    p.bytes_received = 123456789;
    p.checkpoint_lsn = 0x16B374D848 + i;
    for (int k = 0; k < 100; ++k) {
      p.load_seconds.Observe(0.001 * k);
      p.batch_rows.Observe(100.0 * k);
    }
    p.load_requests[0] = 100;
    p.last_commit_time = now;
    runtime::SlotHealth slot;
    slot.sample_time = now;
    slot.exists = true;
    slot.wal_status = "reserved";
    slot.server_wal_lsn = 1 << 30;
    slot.confirmed_flush_lsn = 1 << 29;
    p.slot = slot;
    out.push_back(std::move(p));
  }
  return out;
}

void BM_RenderMetrics(benchmark::State& state) {
  std::vector<runtime::PipelineStatus> pipelines = Pipelines(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = RenderMetrics(pipelines, absl::Now(), ReadProcessSample());
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderMetrics)->Arg(1)->Arg(200)->Unit(benchmark::kMicrosecond);

void BM_CopyStatuses(benchmark::State& state) {
  std::vector<runtime::PipelineStatus> pipelines = Pipelines(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::vector<runtime::PipelineStatus> copy = pipelines;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyStatuses)->Arg(200)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dbmazz::metrics

BENCHMARK_MAIN();
