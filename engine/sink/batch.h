// One Stream Load request's worth of rows for one table, and the interface
// that sends it.
//
// Thread-safety: plain data; a BatchLoader implementation states its own.
#ifndef DBMAZZ_ENGINE_SINK_BATCH_H_
#define DBMAZZ_ENGINE_SINK_BATCH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/common/lsn.h"

namespace dbmazz::sink {

// Where a row sits in the change stream: its transaction's commit LSN, and
// its index among the transaction's rows. Deterministic across replays of the
// same transaction, so labels built from it are too.
struct RowPosition {
  Lsn commit_lsn = 0;
  uint32_t index = 0;
  friend auto operator<=>(const RowPosition&, const RowPosition&) = default;
};

struct Batch {
  std::string target_table;  // StarRocks table (the database is the loader's)
  std::string source_table;  // schema.table in PostgreSQL, for messages
  std::string body;          // JSON array: [{...},{...}]
  std::string columns;       // the `columns` header
  bool partial_update = false;
  uint64_t rows = 0;
  RowPosition first;  // first and last row of the batch
  RowPosition last;
  absl::Time oldest_row_time = absl::InfiniteFuture();
};

// Sends batches. Load() returns only when the batch is durably applied (OK),
// or with a final error: the implementation retries transient failures
// itself, reusing a label derived from the batch's positions, and calls
// `tick` at least every ~100 ms while it waits so the caller can keep its
// source connection alive; `tick` returning false cancels (kCancelled).
class BatchLoader {
 public:
  virtual ~BatchLoader() = default;
  [[nodiscard]] virtual absl::Status Load(const Batch& batch,
                                          const std::function<bool()>& tick) = 0;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_BATCH_H_
