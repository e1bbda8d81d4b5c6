// Value types stored by StateStore (engine/state/state_store.h).
//
// Plain structs, copyable; no thread-safety concerns of their own.
#ifndef DBMAZZ_ENGINE_STATE_RECORDS_H_
#define DBMAZZ_ENGINE_STATE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/common/lsn.h"

namespace dbmazz::state {

// What the operator asked a pipeline to do; survives restarts.
enum class DesiredState { kRunning, kPaused };

// "running" / "paused": the text stored in pipelines.desired_state.
[[nodiscard]] std::string_view DesiredStateName(DesiredState state);
// The inverse of DesiredStateName. kInvalidArgument on anything else.
[[nodiscard]] absl::StatusOr<DesiredState> ParseDesiredState(std::string_view text);

// One row of `pipelines`.
// Whether the pipeline is being deleted, and what happens to the slot and
// publication dbmazz created for it.
enum class DeleteIntent { kNone, kDrop, kKeepSlot };

struct PipelineRecord {
  std::string pipeline_id;  // non-empty, unique
  // The pipeline's full specification as JSON. Contains secrets (passwords):
  // never log it. StateStore treats it as opaque text.
  std::string spec;
  DesiredState desired_state = DesiredState::kRunning;
  std::string slot_name;  // non-empty, unique across pipelines
  std::string publication_name;
  // Whether dbmazz created the slot / publication (and so drops them when the
  // pipeline is deleted) or found them already there.
  bool slot_created_by_us = false;
  bool publication_created_by_us = false;
  // A DeletePipeline that has not finished yet (it survives restarts).
  DeleteIntent delete_intent = DeleteIntent::kNone;
  // Set by StateStore; ignored by CreatePipeline.
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();

  friend bool operator==(const PipelineRecord&, const PipelineRecord&) = default;
};

// One element of a batched checkpoint save.
struct CheckpointUpdate {
  std::string pipeline_id;
  Lsn lsn = kInvalidLsn;
};

// One row of `events`: a short operator-facing note about a pipeline
// ("started", "slot lost", an error message...). Never put secrets here.
struct EventRecord {
  int64_t id = 0;  // increasing, never reused; pagination cursor for ListEvents
  std::string pipeline_id;
  absl::Time time = absl::InfinitePast();
  std::string kind;
  std::string message;
};

// Progress of the initial copy of one source table.
enum class SnapshotTableState { kPending, kCopying, kDone, kFailed };

// "pending" / "copying" / "done" / "failed".
[[nodiscard]] std::string_view SnapshotTableStateName(SnapshotTableState state);
// The inverse of SnapshotTableStateName. kInvalidArgument on anything else.
[[nodiscard]] absl::StatusOr<SnapshotTableState> ParseSnapshotTableState(std::string_view text);

// One row of `snapshot_tables`.
struct SnapshotTableProgress {
  std::string pipeline_id;
  std::string table_name;  // as the snapshot code names it, e.g. "public.orders"
  SnapshotTableState state = SnapshotTableState::kPending;
  int64_t rows_copied = 0;
  // How the table is split ("pk", "ctid", "whole"; opaque to StateStore).
  std::string chunking = {};
  int64_t rows_estimate = 0;                      // pg_class.reltuples when planned
  absl::Time update_time = absl::InfinitePast();  // set by StateStore

  friend bool operator==(const SnapshotTableProgress&, const SnapshotTableProgress&) = default;
};

// One row of `snapshot_chunks`: a key range of a table copied as a unit.
// Bounds are opaque text (e.g. a JSON array of key values); nullopt means
// unbounded on that side.
struct SnapshotChunkProgress {
  std::string pipeline_id;
  std::string table_name;
  int64_t chunk_id = 0;
  std::optional<std::string> lower_bound = std::nullopt;
  std::optional<std::string> upper_bound = std::nullopt;
  bool done = false;
  int64_t rows_copied = 0;
  absl::Time update_time = absl::InfinitePast();  // set by StateStore

  friend bool operator==(const SnapshotChunkProgress&, const SnapshotChunkProgress&) = default;
};

// The initial snapshot of a pipeline as a whole.
// kCompleted: snapshot_mode initial_only finished (copied, caught up, and
// the slot dropped); the pipeline does nothing more.
enum class SnapshotPhase { kCopying, kDone, kCompleted };

// One row of `snapshots`.
struct SnapshotRecord {
  std::string pipeline_id;
  SnapshotPhase phase = SnapshotPhase::kCopying;
  // Incremented by every attempt (each one copies under a new PostgreSQL
  // snapshot); part of the Stream Load labels, so that rows copied by one
  // attempt are never mistaken for another's.
  int64_t epoch = 0;
  absl::Time start_time = absl::InfinitePast();   // set by StateStore
  absl::Time update_time = absl::InfinitePast();  // set by StateStore
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_RECORDS_H_
