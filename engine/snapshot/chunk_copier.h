// Copies one chunk of one table: COPY ... TO STDOUT on a snapshot session,
// each row parsed and handed to a StarRocksSink as an INSERT (the same
// encoding and type mapping as streamed rows), Stream Loads sent through the
// shared LoadDispatcher while the copy goes on. Returns once every row of
// the chunk is durably loaded.
//
// Rows are grouped into synthetic transactions of up to kRowsPerSlice rows
// (commit "LSNs" 1, 2, ...), so the sink's row positions — and with them the
// Stream Load labels — stay unique within the chunk; `label_scope` names the
// pipeline, snapshot attempt and chunk, so no two copies share a label.
//
// Bounded: memory by the sink's max_buffered_bytes (reading stops while it
// is exceeded); every wait is at most 100 ms before `cancelled()` is asked
// again. A cancelled copy returns kCancelled and leaves the session unusable
// (close it).
//
// Ownership: borrows the session, table, dispatcher and load options.
// Thread-safety: one thread (a snapshot worker); the dispatcher thread
// reports load completions through an internal mailbox.
// Errors: libpq errors (pg_error.h: a dropped table is kNotFound, a missing
// privilege kPermissionDenied), kDataLoss for malformed COPY rows, load
// errors as the dispatcher reports them, kCancelled.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_CHUNK_COPIER_H_
#define DBMAZZ_ENGINE_SNAPSHOT_CHUNK_COPIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/postgres/pg_connection.h"
#include "engine/sink/load_dispatcher.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/snapshot/chunk_planner.h"
#include "engine/snapshot/snapshot_table.h"

namespace dbmazz::snapshot {

struct ChunkCopyOptions {
  std::string label_scope;  // e.g. "<pipeline>-s<epoch>c<chunk>"
  sink::SinkOptions sink;
  const sink::StreamLoadOptions* load_options = nullptr;  // validated
  sink::LoadDispatcher* dispatcher = nullptr;
  // Rows copied so far, published for progress (may be null).
  std::atomic<int64_t>* rows_progress = nullptr;
};

struct ChunkCopyStats {
  int64_t rows = 0;
  uint64_t bytes_loaded = 0;
  uint64_t loads = 0;
};

inline constexpr uint32_t kRowsPerSlice = 1 << 20;

[[nodiscard]] absl::StatusOr<ChunkCopyStats> CopyChunk(postgres::PgConnection& session,
                                                       const SnapshotTable& table,
                                                       Chunking chunking, const ChunkBounds& bounds,
                                                       const ChunkCopyOptions& options,
                                                       const std::function<bool()>& cancelled);

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_CHUNK_COPIER_H_
