#include "engine/metrics/pipeline_metrics.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "absl/status/status.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::metrics {

namespace {

using runtime::PipelineState;
using runtime::PipelineStatus;
using Pipelines = std::vector<PipelineStatus>;

constexpr PipelineState kStates[] = {
    PipelineState::kCreating, PipelineState::kSnapshotting, PipelineState::kStreaming,
    PipelineState::kPaused,   PipelineState::kRetrying,     PipelineState::kFailed,
    PipelineState::kDeleting, PipelineState::kCompleted,
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

double UnixSeconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

// A timestamp sample, absent while the time is unknown (InfinitePast).
std::optional<double> KnownUnixSeconds(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return UnixSeconds(t);
}

// A family with one sample per pipeline: `value(p)` returns the value, or
// nullopt to leave that pipeline out.
template <typename T, typename Fn>
void PerPipeline(ExpositionWriter& w, const Pipelines& ps, std::string_view name, MetricType type,
                 std::string_view help, Fn value) {
  w.Family(name, type, help);
  for (const PipelineStatus& p : ps) {
    std::optional<T> v = value(p);
    if (v.has_value()) w.Sample(name, {{"pipeline", p.pipeline_id}}, *v);
  }
}

// The slot sample, when the slot exists on the server.
const runtime::SlotHealth* Slot(const PipelineStatus& p) {
  return p.slot.has_value() && p.slot->exists ? &*p.slot : nullptr;
}

void WriteState(ExpositionWriter& w, const Pipelines& ps) {
  w.Family("dbmazz_pipeline_state", MetricType::kGauge,
           "Observed state of the pipeline: 1 for the current state, 0 for the others.");
  for (const PipelineStatus& p : ps) {
    for (PipelineState s : kStates) {
      std::string state = Lower(runtime::PipelineStateName(s));
      w.Sample("dbmazz_pipeline_state", {{"pipeline", p.pipeline_id}, {"state", state}},
               uint64_t{p.state == s ? 1u : 0u});
    }
  }
  PerPipeline<double>(w, ps, "dbmazz_pipeline_state_changed_timestamp_seconds", MetricType::kGauge,
                      "When the pipeline entered its current state.",
                      [](const PipelineStatus& p) { return KnownUnixSeconds(p.state_time); });
}

void WriteWarnings(ExpositionWriter& w, const Pipelines& ps) {
  using runtime::WarningKind;
  constexpr WarningKind kKinds[] = {WarningKind::kRetainedWalHigh, WarningKind::kLagHigh,
                                    WarningKind::kSlotWalUnreserved};
  w.Family("dbmazz_pipeline_warning", MetricType::kGauge,
           "1 while the warning condition is raised (the pipeline's alerts thresholds), else 0.");
  for (const PipelineStatus& p : ps) {
    for (WarningKind kind : kKinds) {
      bool raised =
          std::any_of(p.warnings.begin(), p.warnings.end(),
                      [kind](const runtime::PipelineWarning& x) { return x.kind == kind; });
      w.Sample("dbmazz_pipeline_warning",
               {{"pipeline", p.pipeline_id}, {"kind", Lower(runtime::WarningKindName(kind))}},
               uint64_t{raised ? 1u : 0u});
    }
  }
}

void WriteFlow(ExpositionWriter& w, const Pipelines& ps) {
  w.Family("dbmazz_rows_total", MetricType::kCounter,
           "Row changes received from PostgreSQL, by operation (a retry reads again from the "
           "checkpoint).");
  for (const PipelineStatus& p : ps) {
    w.Sample("dbmazz_rows_total", {{"pipeline", p.pipeline_id}, {"op", "insert"}}, p.rows_inserted);
    w.Sample("dbmazz_rows_total", {{"pipeline", p.pipeline_id}, {"op", "update"}}, p.rows_updated);
    w.Sample("dbmazz_rows_total", {{"pipeline", p.pipeline_id}, {"op", "delete"}}, p.rows_deleted);
  }
  PerPipeline<uint64_t>(w, ps, "dbmazz_transactions_total", MetricType::kCounter,
                        "Committed transactions received from PostgreSQL.",
                        [](const PipelineStatus& p) { return std::optional(p.transactions); });
  PerPipeline<uint64_t>(w, ps, "dbmazz_source_received_bytes_total", MetricType::kCounter,
                        "Bytes of replication messages received from PostgreSQL.",
                        [](const PipelineStatus& p) { return std::optional(p.bytes_received); });
  PerPipeline<uint64_t>(w, ps, "dbmazz_rows_loaded_total", MetricType::kCounter,
                        "Rows in batches loaded into StarRocks.",
                        [](const PipelineStatus& p) { return std::optional(p.rows_loaded); });
  PerPipeline<uint64_t>(w, ps, "dbmazz_batches_loaded_total", MetricType::kCounter,
                        "Batches loaded into StarRocks.",
                        [](const PipelineStatus& p) { return std::optional(p.batches_loaded); });
  PerPipeline<uint64_t>(w, ps, "dbmazz_buffered_bytes", MetricType::kGauge,
                        "Bytes of encoded rows waiting to be loaded.",
                        [](const PipelineStatus& p) { return std::optional(p.buffered_bytes); });
  PerPipeline<uint64_t>(
      w, ps, "dbmazz_backpressured", MetricType::kGauge,
      "1 while the pipeline stops reading because too much is buffered.",
      [](const PipelineStatus& p) { return std::optional<uint64_t>(p.backpressured ? 1 : 0); });
  PerPipeline<uint64_t>(w, ps, "dbmazz_checkpoint_lsn", MetricType::kGauge,
                        "Checkpoint LSN (durable in StarRocks and SQLite) as a number.",
                        [](const PipelineStatus& p) { return std::optional(p.checkpoint_lsn); });
}

void WriteLoads(ExpositionWriter& w, const Pipelines& ps) {
  w.Family("dbmazz_stream_load_requests_total", MetricType::kCounter,
           "Stream Load PUT requests, by what they came back with.");
  for (const PipelineStatus& p : ps) {
    for (int i = 0; i < sink::kAttemptResultCount; ++i) {
      w.Sample("dbmazz_stream_load_requests_total",
               {{"pipeline", p.pipeline_id},
                {"result", sink::AttemptResultName(static_cast<sink::AttemptResult>(i))}},
               p.load_requests[static_cast<size_t>(i)]);
    }
  }
  PerPipeline<uint64_t>(w, ps, "dbmazz_stream_load_label_polls_total", MetricType::kCounter,
                        "get_load_state requests settling a label that already existed.",
                        [](const PipelineStatus& p) { return std::optional(p.label_polls); });
  w.Family("dbmazz_stream_loads_total", MetricType::kCounter,
           "Stream Loads (a batch, retries included) by outcome.");
  for (const PipelineStatus& p : ps) {
    uint64_t failed = std::min(p.load_failures, p.loads_completed);
    w.Sample("dbmazz_stream_loads_total", {{"pipeline", p.pipeline_id}, {"outcome", "loaded"}},
             p.loads_completed - failed);
    w.Sample("dbmazz_stream_loads_total", {{"pipeline", p.pipeline_id}, {"outcome", "failed"}},
             failed);
  }
  w.Family("dbmazz_stream_load_duration_seconds", MetricType::kHistogram,
           "Time from a batch's submission to the end of its Stream Load, retries included.");
  for (const PipelineStatus& p : ps) {
    w.HistogramSamples("dbmazz_stream_load_duration_seconds", {{"pipeline", p.pipeline_id}},
                       p.load_seconds);
  }
  w.Family("dbmazz_stream_load_batch_rows", MetricType::kHistogram, "Rows per loaded batch.");
  for (const PipelineStatus& p : ps) {
    w.HistogramSamples("dbmazz_stream_load_batch_rows", {{"pipeline", p.pipeline_id}},
                       p.batch_rows);
  }
}

void WriteLag(ExpositionWriter& w, const Pipelines& ps, absl::Time now) {
  PerPipeline<uint64_t>(w, ps, "dbmazz_replication_lag_bytes", MetricType::kGauge,
                        "Server WAL position at the last slot sample minus the pipeline's "
                        "confirmed position (as GetPipeline's stats.lag_bytes).",
                        [](const PipelineStatus& p) -> std::optional<uint64_t> {
                          const runtime::SlotHealth* s = Slot(p);
                          if (s == nullptr || s->server_wal_lsn == kInvalidLsn) {
                            return std::nullopt;
                          }
                          return p.lag_bytes;
                        });
  PerPipeline<double>(w, ps, "dbmazz_replication_lag_seconds", MetricType::kGauge,
                      "How far the target is behind the source in time (see docs/metrics.md).",
                      [now](const PipelineStatus& p) { return LagSeconds(p, now); });
  PerPipeline<double>(w, ps, "dbmazz_last_applied_commit_timestamp_seconds", MetricType::kGauge,
                      "Source commit time of the newest transaction loaded into StarRocks.",
                      [](const PipelineStatus& p) { return KnownUnixSeconds(p.last_commit_time); });
}

void WriteSlot(ExpositionWriter& w, const Pipelines& ps) {
  PerPipeline<uint64_t>(w, ps, "dbmazz_slot_exists", MetricType::kGauge,
                        "1 if the replication slot existed at the last sample, else 0.",
                        [](const PipelineStatus& p) -> std::optional<uint64_t> {
                          if (!p.slot.has_value()) return std::nullopt;
                          return p.slot->exists ? 1 : 0;
                        });
  PerPipeline<uint64_t>(w, ps, "dbmazz_slot_active", MetricType::kGauge,
                        "1 if a session used the replication slot at the last sample, else 0.",
                        [](const PipelineStatus& p) -> std::optional<uint64_t> {
                          if (Slot(p) == nullptr) return std::nullopt;
                          return p.slot->active ? 1 : 0;
                        });
  PerPipeline<uint64_t>(w, ps, "dbmazz_slot_retained_wal_bytes", MetricType::kGauge,
                        "WAL the replication slot keeps on the server (server WAL position minus "
                        "restart_lsn).",
                        [](const PipelineStatus& p) -> std::optional<uint64_t> {
                          if (Slot(p) == nullptr) return std::nullopt;
                          return p.slot->retained_wal_bytes;
                        });
  w.Family("dbmazz_slot_wal_status", MetricType::kGauge,
           "wal_status of the replication slot: 1 for the current value, 0 for the others.");
  for (const PipelineStatus& p : ps) {
    const runtime::SlotHealth* s = Slot(p);
    if (s == nullptr) continue;
    for (std::string_view status : kWalStatuses) {
      w.Sample("dbmazz_slot_wal_status", {{"pipeline", p.pipeline_id}, {"wal_status", status}},
               uint64_t{s->wal_status == status ? 1u : 0u});
    }
  }
  PerPipeline<double>(w, ps, "dbmazz_slot_sample_timestamp_seconds", MetricType::kGauge,
                      "When the replication slot was last sampled.",
                      [](const PipelineStatus& p) -> std::optional<double> {
                        if (!p.slot.has_value()) return std::nullopt;
                        return UnixSeconds(p.slot->sample_time);
                      });
}

void WriteErrors(ExpositionWriter& w, const Pipelines& ps) {
  PerPipeline<uint64_t>(w, ps, "dbmazz_pipeline_retries_total", MetricType::kCounter,
                        "Transient failures after which the pipeline retried.",
                        [](const PipelineStatus& p) { return std::optional(p.retries); });
  w.Family("dbmazz_pipeline_errors_total", MetricType::kCounter,
           "Failures of the pipeline, by kind (status code); kinds that never occurred are "
           "left out.");
  for (const PipelineStatus& p : ps) {
    for (size_t code = 0; code < p.errors_by_code.size(); ++code) {
      if (p.errors_by_code[code] == 0) continue;
      std::string kind =
          Lower(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)).c_str());
      w.Sample("dbmazz_pipeline_errors_total", {{"pipeline", p.pipeline_id}, {"kind", kind}},
               p.errors_by_code[code]);
    }
  }
}

void WriteSnapshot(ExpositionWriter& w, const Pipelines& ps) {
  PerPipeline<uint64_t>(w, ps, "dbmazz_snapshot_done", MetricType::kGauge,
                        "1 once the initial snapshot is copied (pipelines with a snapshot mode).",
                        [](const PipelineStatus& p) -> std::optional<uint64_t> {
                          if (!p.snapshot.has_value()) return std::nullopt;
                          return p.snapshot->done ? 1 : 0;
                        });
  struct TableFamily {
    std::string_view name;
    std::string_view help;
    int64_t (*value)(const snapshot::TableProgress&);
  };
  static constexpr TableFamily kFamilies[] = {
      {"dbmazz_snapshot_rows_copied", "Rows copied by the snapshot in its current attempt.",
       [](const snapshot::TableProgress& t) { return t.rows_copied; }},
      {"dbmazz_snapshot_rows_estimate", "Rows in the table according to pg_class.reltuples.",
       [](const snapshot::TableProgress& t) { return t.rows_estimate; }},
      {"dbmazz_snapshot_chunks_done", "Snapshot chunks copied.",
       [](const snapshot::TableProgress& t) { return int64_t{t.chunks_done}; }},
      {"dbmazz_snapshot_chunks", "Snapshot chunks planned.",
       [](const snapshot::TableProgress& t) { return int64_t{t.chunks_total}; }},
  };
  for (const TableFamily& f : kFamilies) {
    w.Family(f.name, MetricType::kGauge, f.help);
    for (const PipelineStatus& p : ps) {
      if (!p.snapshot.has_value()) continue;
      for (const snapshot::TableProgress& t : p.snapshot->tables) {
        w.Sample(f.name, {{"pipeline", p.pipeline_id}, {"table", t.table}}, f.value(t));
      }
    }
  }
}

}  // namespace

std::optional<double> LagSeconds(const PipelineStatus& p, absl::Time /*now*/) {
  // The engine's lag clock (engine/runtime/lag_clock.h) computed it when the
  // status was read.
  return absl::ToDoubleSeconds(p.lag);
}

void WritePipelineMetrics(const Pipelines& pipelines, absl::Time now, ExpositionWriter& writer) {
  WriteState(writer, pipelines);
  WriteWarnings(writer, pipelines);
  WriteFlow(writer, pipelines);
  WriteLoads(writer, pipelines);
  WriteLag(writer, pipelines, now);
  WriteSlot(writer, pipelines);
  WriteErrors(writer, pipelines);
  WriteSnapshot(writer, pipelines);
}

std::string RenderMetrics(const Pipelines& pipelines, absl::Time now,
                          const std::optional<ProcessSample>& process) {
  ExpositionWriter writer;
  WritePipelineMetrics(pipelines, now, writer);
  if (process.has_value()) WriteProcessMetrics(*process, writer);
  return writer.Take();
}

}  // namespace dbmazz::metrics
