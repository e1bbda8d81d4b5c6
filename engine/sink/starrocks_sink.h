// Turns the decoded change stream into ordered Stream Load batches per
// StarRocks table and reports how far the stream is durably applied.
//
// Acknowledgement rule: durable_lsn() is the end LSN of the newest committed
// transaction all of whose rows — in every table — have been loaded. It is what
// the engine may checkpoint and then confirm to PostgreSQL; it never moves
// backwards and never covers a row still buffered or in flight.
//
// Row rules (docs/type-mapping.md): INSERT and UPDATE are upserts (__op 0),
// DELETE sends the key (__op 1); an UPDATE that changes the primary key is a
// delete of the old key then an upsert of the new row. Unchanged TOAST values
// are filled from a REPLICA IDENTITY FULL old row or left out (partial update
// of exactly the columns present) — never written as NULL. A key change whose
// new row lacks an unchanged TOAST value cannot be applied faithfully and is
// an error (kFailedPrecondition) naming the table and the remedy.
//
// Ownership: owns its relation cache and batches; borrows the loader (none
// is needed for the asynchronous StartLoads()/CompleteLoad() flow).
// Thread-safety: one thread at a time.
// Errors: kDataLoss for rows of unknown relations, encoder errors,
// kFailedPrecondition for TRUNCATE (unless ignored), loader errors unchanged.
#ifndef DBMAZZ_ENGINE_SINK_STARROCKS_SINK_H_
#define DBMAZZ_ENGINE_SINK_STARROCKS_SINK_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/common/histogram.h"
#include "engine/pgoutput/messages.h"
#include "engine/pgoutput/relation_cache.h"
#include "engine/sink/batch.h"
#include "engine/sink/row_encoder.h"
#include "engine/sink/table_batcher.h"

namespace dbmazz::sink {

struct SinkOptions {
  BatchLimits limits;
  // Source "schema.table" → StarRocks table. Unmapped tables keep their name.
  absl::flat_hash_map<std::string, std::string> table_map;
  // Source "schema.table" → primary key column names of the target, when
  // pgoutput's key flags are not it (REPLICA IDENTITY FULL flags every column).
  absl::flat_hash_map<std::string, std::vector<std::string>> key_columns;
  bool ignore_truncate = false;  // default: TRUNCATE stops the pipeline with an explanation
  uint64_t max_buffered_bytes = 64 << 20;  // above this, ShouldPause() asks the source to wait
  TypeMappingOptions type_options;
  // Where batch bodies come from and go back to (borrowed: must outlive the
  // sink; sinks may share one). nullptr: the sink keeps one spare body of
  // its own, freed whenever it has nothing buffered.
  BodyBufferPool* body_pool = nullptr;
};

// Rows per loaded batch (the rows_per_batch histogram's buckets).
inline constexpr double kBatchRowsBuckets[] = {1,     10,    100,    1000,   5000,
                                               10000, 50000, 100000, 500000, 1000000};

struct SinkStats {
  uint64_t transactions = 0;
  uint64_t rows_inserted = 0;
  uint64_t rows_updated = 0;
  uint64_t rows_deleted = 0;
  uint64_t truncates_ignored = 0;
  uint64_t batches_loaded = 0;
  uint64_t rows_loaded = 0;
  uint64_t bytes_loaded = 0;
  Histogram batch_rows{kBatchRowsBuckets};  // rows per loaded batch
  // pgoutput commit time (microseconds since 2000-01-01) of the newest
  // transaction whose rows are all loaded; 0: none yet.
  int64_t durable_commit_time = 0;
  EncodeStats encode;
};

class StarRocksSink {
 public:
  StarRocksSink(SinkOptions options, BatchLoader* loader, Lsn resume_after);
  ~StarRocksSink();

  // Takes every decoded message in stream order.
  [[nodiscard]] absl::Status OnMessage(const pgoutput::DecodedMessage& message);

  // Synchronous loading (needs a loader): seals batches that are full or
  // older than max_latency (all of them with `force`) and loads every sealed
  // batch, table by table, oldest first. A table whose load fails keeps its
  // batches and the other tables go on; the first error is returned
  // (cancellation stops at once).
  [[nodiscard]] absl::Status Flush(absl::Time now, bool force, const std::function<bool()>& tick);

  // Asynchronous loading (the engine's way). StartLoads() seals what is due
  // (everything with `force`) and returns the batches to send now: the oldest
  // sealed batch of every table that has no load in flight, each marked in
  // flight. The batch stays valid and unchanged until its table's load is
  // reported to CompleteLoad() or AbandonLoads() is called.
  struct LoadTicket {
    uint32_t table_key = 0;
    const Batch* batch = nullptr;
  };
  [[nodiscard]] std::vector<LoadTicket> StartLoads(absl::Time now, bool force);
  // The load of `table_key`'s oldest batch ended: OK removes the batch and
  // advances durable_lsn(); an error keeps it for a later StartLoads() and is
  // returned unchanged. kNotFound for a table with no load in flight.
  [[nodiscard]] absl::Status CompleteLoad(uint32_t table_key, const absl::Status& result);
  // Forgets every load in flight (they were cancelled): their batches will
  // be sent again by the next StartLoads().
  void AbandonLoads();
  int loads_in_flight() const { return loads_in_flight_; }
  // Nothing buffered, nothing in flight.
  bool Idle() const;

  Lsn durable_lsn() const { return durable_lsn_; }
  // Commit time (PostgreSQL's clock, microseconds since 2000-01-01) of the
  // oldest transaction received and not yet durable (open or committed);
  // nullopt when every transaction received is durable.
  std::optional<pgoutput::PgTimestamp> oldest_pending_commit_time() const;
  // Commit time of the newest transaction received (BEGIN carries it); 0
  // before the first one.
  pgoutput::PgTimestamp last_commit_time() const { return last_commit_time_; }
  // When the next batch becomes due (InfiniteFuture if nothing is buffered;
  // tables with a load in flight are not counted).
  absl::Time NextFlushTime() const;
  bool ShouldPause() const;
  uint64_t buffered_bytes() const;
  const SinkStats& stats() const { return stats_; }
  const pgoutput::RelationCache& relations() const { return relations_; }

 private:
  struct TableState {
    uint64_t generation = 0;
    std::string full_columns_header;
    std::vector<int> key_indexes;
    std::unique_ptr<TableBatcher> batcher;
    ColumnMask last_partial_mask;
    std::string last_partial_header;
    bool load_in_flight = false;
  };

  absl::StatusOr<TableState*> StateFor(const pgoutput::Relation& rel);
  absl::Status AddUpsert(const pgoutput::Relation& rel, TableState& table,
                         const pgoutput::TupleData& tuple, const pgoutput::TupleData* old_tuple,
                         char old_kind);
  absl::Status AddDelete(const pgoutput::Relation& rel, TableState& table,
                         const pgoutput::TupleData& key_tuple);
  absl::Status OnUpdate(const pgoutput::UpdateMessage& update);
  RowPosition NextPosition() { return RowPosition{current_commit_lsn_, row_index_++}; }
  void AdvanceDurable();
  void OnBatchLoaded(TableState& table);

  SinkOptions options_;
  BatchLoader* loader_;
  std::unique_ptr<BodyBufferPool> own_pool_;  // when options_.body_pool is nullptr
  BodyBufferPool* pool_;
  pgoutput::RelationCache relations_;
  RowEncoder encoder_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<TableState>> tables_;
  std::string scratch_;
  ColumnMask mask_;

  Lsn current_commit_lsn_ = 0;
  uint32_t row_index_ = 0;
  bool in_transaction_ = false;
  struct Committed {
    Lsn commit_lsn;
    Lsn end_lsn;
    pgoutput::PgTimestamp commit_time;
  };
  pgoutput::PgTimestamp last_commit_time_ = 0;
  std::deque<Committed> committed_;  // committed, not yet durable
  Lsn durable_lsn_;
  int loads_in_flight_ = 0;
  SinkStats stats_;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_STARROCKS_SINK_H_
