// What the engine reports about a pipeline: its observed state, why it is
// there, and its counters. Plain data, copyable; no secrets (the spec's
// passwords are redacted before a status is made).
#ifndef DBMAZZ_ENGINE_RUNTIME_PIPELINE_STATUS_H_
#define DBMAZZ_ENGINE_RUNTIME_PIPELINE_STATUS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/histogram.h"
#include "engine/common/lsn.h"
#include "engine/pipeline/pipeline_runner.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/snapshot/snapshot_copy.h"
#include "engine/state/records.h"

namespace dbmazz::runtime {

// The observed state, computed from the desired state and what the pipeline
// is doing.
enum class PipelineState {
  kUnspecified,
  kCreating,      // preparing the source (publication, slot) and connecting
  kSnapshotting,  // copying existing rows (the snapshot feature)
  kStreaming,     // reading changes and loading them
  kPaused,        // desired paused, replication connection closed
  kRetrying,      // a transient error: waiting `next_attempt_time`
  kFailed,        // a permanent error: `message` says why; resume retries
  kDeleting,      // stopping and dropping the slot and publication
  kCompleted,     // snapshot_mode initial_only: copied, slot dropped, nothing more to do
};

// "CREATING", "STREAMING", ... (the gRPC enum value names without prefix).
std::string_view PipelineStateName(PipelineState state);

// The state of the pipeline's replication slot, sampled from
// pg_replication_slots on a separate connection.
struct SlotHealth {
  absl::Time sample_time = absl::InfinitePast();
  bool exists = false;
  bool active = false;
  std::string wal_status;
  Lsn restart_lsn = kInvalidLsn;
  Lsn confirmed_flush_lsn = kInvalidLsn;
  Lsn server_wal_lsn = kInvalidLsn;  // pg_current_wal_lsn() at the sample
  uint64_t retained_wal_bytes = 0;   // server_wal_lsn - restart_lsn
};

// A condition an operator should look at, raised by the pipeline's alert
// thresholds (spec `alerts`) or by the slot's state; cleared when it ends.
enum class WarningKind {
  kRetainedWalHigh,    // the slot holds more WAL than alerts.max_retained_wal_bytes
  kLagHigh,            // lag above alerts.max_lag
  kSlotWalUnreserved,  // wal_status = unreserved: PostgreSQL may soon remove WAL it needs
};

// "RETAINED_WAL_HIGH", "LAG_HIGH", "SLOT_WAL_UNRESERVED" (the gRPC enum names).
std::string_view WarningKindName(WarningKind kind);

struct PipelineWarning {
  WarningKind kind = WarningKind::kRetainedWalHigh;
  std::string message;  // the figures and the threshold
  absl::Time since = absl::InfinitePast();
  friend bool operator==(const PipelineWarning&, const PipelineWarning&) = default;
};

// The initial snapshot (snapshot_mode initial / initial_only).
struct SnapshotStatus {
  int64_t epoch = 0;  // attempts so far (1 unless resumed)
  bool done = false;
  int64_t rows_copied = 0;
  int64_t rows_estimate = 0;  // from pg_class.reltuples
  int chunks_done = 0;
  int chunks_total = 0;
  double rows_per_second = 0;  // over the last few seconds
  std::vector<snapshot::TableProgress> tables;
};

// absl::StatusCode values are 0..16.
inline constexpr size_t kStatusCodeCount = 17;

struct PipelineStatus {
  std::string pipeline_id;
  pipeline::PipelineSpec spec;  // passwords redacted
  state::DesiredState desired_state = state::DesiredState::kRunning;
  PipelineState state = PipelineState::kUnspecified;
  std::string message;  // human-readable: why it is in this state
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
  absl::Time state_time = absl::InfinitePast();  // when `state` was entered

  // Retrying/failed.
  std::string last_error;
  absl::Time last_error_time = absl::InfinitePast();
  int attempt = 0;  // consecutive failed attempts
  absl::Time next_attempt_time = absl::InfiniteFuture();

  // Progress.
  Lsn checkpoint_lsn = kInvalidLsn;  // durable in StarRocks and in SQLite
  Lsn confirmed_lsn = kInvalidLsn;   // flush LSN reported to PostgreSQL
  Lsn received_lsn = kInvalidLsn;
  uint64_t transactions = 0;
  uint64_t rows_inserted = 0;
  uint64_t rows_updated = 0;
  uint64_t rows_deleted = 0;
  uint64_t rows_loaded = 0;
  uint64_t batches_loaded = 0;
  uint64_t bytes_received = 0;
  uint64_t load_attempts = 0;
  uint64_t load_failures = 0;
  uint64_t loads_completed = 0;
  absl::Duration load_time;                               // summed over completed loads
  Histogram load_seconds{pipeline::kLoadSecondsBuckets};  // per completed load
  Histogram batch_rows{sink::kBatchRowsBuckets};          // per loaded batch
  sink::AttemptCounts load_requests{};                    // Stream Load PUTs by result
  uint64_t label_polls = 0;
  // Commit time of the newest transaction loaded (InfinitePast: none yet).
  absl::Time last_commit_time = absl::InfinitePast();
  // Failures (of a start or a run): those retried, and all by status code.
  uint64_t retries = 0;
  std::array<uint64_t, kStatusCodeCount> errors_by_code{};
  uint64_t buffered_bytes = 0;
  bool backpressured = false;
  std::optional<SlotHealth> slot;
  std::optional<SnapshotStatus> snapshot;  // unset with snapshot_mode never

  // Lag (engine/runtime/lag_clock.h): bytes = the last slot sample's
  // server_wal_lsn - confirmed_lsn (0 without a sample); time = now - the
  // instant up to which every source commit is durable (0 when caught up),
  // computed when the status is read.
  uint64_t lag_bytes = 0;
  absl::Duration lag = absl::ZeroDuration();
  // Raised conditions, oldest first (engine/runtime/pipeline_alerts.h).
  std::vector<PipelineWarning> warnings;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_PIPELINE_STATUS_H_
