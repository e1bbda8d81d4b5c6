// The rows waiting to be loaded into one StarRocks table, in stream order.
//
// Rows are encoded as they arrive (the decoder's buffers are transient) into
// the open batch. A Stream Load request has one `columns` header, so rows
// whose column sets differ cannot share a request. Full rows (upserts with
// every column, and deletes, which carry only the key) share "full" batches;
// partial upserts (unchanged TOAST values left out) go to partial batches of
// exactly one column set, without deletes. A row that does not fit the open
// batch seals it and starts a new one. Sealed
// batches are sent strictly in order, one at a time, so a newer row is never
// applied before an older one.
//
// Ownership: owns its batches. Thread-safety: one thread at a time.
#ifndef DBMAZZ_ENGINE_SINK_TABLE_BATCHER_H_
#define DBMAZZ_ENGINE_SINK_TABLE_BATCHER_H_

#include <deque>
#include <optional>
#include <string>

#include "engine/sink/batch.h"
#include "engine/sink/body_buffer_pool.h"
#include "engine/sink/column_mask.h"

namespace dbmazz::sink {

struct BatchLimits {
  uint64_t max_rows = 100000;
  uint64_t max_bytes = 16 << 20;
  absl::Duration max_latency = absl::Milliseconds(500);
};

class TableBatcher {
 public:
  // `pool` (borrowed, may be nullptr) supplies batch bodies and takes them
  // back when a batch is popped.
  TableBatcher(std::string target_table, std::string source_table, BatchLimits limits,
               BodyBufferPool* pool = nullptr)
      : target_table_(std::move(target_table)),
        source_table_(std::move(source_table)),
        limits_(limits),
        pool_(pool) {}

  // Appends one encoded row object. `partial_mask` is the column set of a
  // partial upsert, nullptr for a full row or a delete; `columns_header` is
  // the batch's `columns` header for that kind of row.
  // The clock is read only when the row opens a new batch (not per row).
  void AddRow(std::string_view row_json, const ColumnMask* partial_mask,
              std::string_view columns_header, RowPosition position);

  // Seals the open batch if it is full or its oldest row is older than
  // max_latency (or always, with force).
  void SealIfDue(absl::Time now, bool force);

  // The oldest sealed batch, or nullptr.
  const Batch* Front() const { return sealed_.empty() ? nullptr : &sealed_.front(); }
  void PopFront();

  // The oldest row still waiting (sealed or open), if any.
  std::optional<RowPosition> OldestPending() const;
  // When the open batch becomes due by latency (InfiniteFuture if none).
  absl::Time NextDue() const;
  uint64_t buffered_bytes() const { return buffered_bytes_; }
  bool empty() const { return sealed_.empty() && !open_.has_value(); }

 private:
  void Seal();

  std::string target_table_;
  std::string source_table_;
  BatchLimits limits_;
  BodyBufferPool* pool_;
  std::optional<Batch> open_;
  std::optional<ColumnMask> open_mask_;  // set for a partial batch
  std::deque<Batch> sealed_;
  uint64_t buffered_bytes_ = 0;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_TABLE_BATCHER_H_
