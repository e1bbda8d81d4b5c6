// The metrics of dbmazz's pipelines, rendered from PipelineStatus copies
// (Engine::List()): nothing here touches a running pipeline, so a scrape
// never blocks one. docs/metrics.md lists every family.
//
//   std::string text = RenderMetrics(engine->List(), absl::Now(), ReadProcessSample());
//
// Label values: `pipeline` (the pipeline id), `table` (schema.table of the
// source) and bounded enumerations (state, op, result, wal_status, kind).
//
// Thread-safety: free functions over values.
#ifndef DBMAZZ_ENGINE_METRICS_PIPELINE_METRICS_H_
#define DBMAZZ_ENGINE_METRICS_PIPELINE_METRICS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/metrics/exposition_writer.h"
#include "engine/metrics/process_metrics.h"
#include "engine/runtime/pipeline_status.h"

namespace dbmazz::metrics {

// The wal_status values of pg_replication_slots (one-hot gauge).
inline constexpr std::string_view kWalStatuses[] = {"reserved", "extended", "unreserved", "lost"};

// Seconds the target is behind the source, as dbmazz_replication_lag_seconds
// reports it: PipelineStatus::lag (now minus the instant up to which every
// source commit is durable in StarRocks; 0 when caught up, growing while the
// pipeline is paused under writes).
[[nodiscard]] std::optional<double> LagSeconds(const runtime::PipelineStatus& status,
                                               absl::Time now);

// Every pipeline family, each with the samples of every pipeline.
void WritePipelineMetrics(const std::vector<runtime::PipelineStatus>& pipelines, absl::Time now,
                          ExpositionWriter& writer);

// The whole /metrics body: the pipelines' families, then the process ones
// (when `process` is set).
[[nodiscard]] std::string RenderMetrics(const std::vector<runtime::PipelineStatus>& pipelines,
                                        absl::Time now,
                                        const std::optional<ProcessSample>& process);

}  // namespace dbmazz::metrics

#endif  // DBMAZZ_ENGINE_METRICS_PIPELINE_METRICS_H_
