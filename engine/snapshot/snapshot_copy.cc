#include "engine/snapshot/snapshot_copy.h"

#include <algorithm>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/sink/stream_load_client.h"
#include "engine/snapshot/chunk_copier.h"

namespace dbmazz::snapshot {

struct SnapshotCopy::Shared {
  // Job-visible: `tables[i].table` (never changed while jobs run), the
  // options and the atomics. The owner alone touches chunk progress.
  std::vector<TableWork> tables;
  sink::StreamLoadOptions load_options;
  sink::SinkOptions sink_options;
  // Batch bodies, passed from one chunk's sink to the next (sink_options
  // points at it).
  std::unique_ptr<sink::BodyBufferPool> body_pool;
  std::atomic<bool> cancel{false};
  std::unique_ptr<std::atomic<int64_t>[]> live_rows;  // per table, chunks in progress

  struct Done {
    ChunkRef ref;
    std::unique_ptr<postgres::PgConnection> session;
    absl::StatusOr<ChunkCopyStats> result;
  };
  absl::Mutex mu;
  std::vector<Done> done ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::unique_ptr<SnapshotCopy>> SnapshotCopy::Create(SnapshotCopyConfig config,
                                                                   SnapshotStart start) {
  if (start.sessions.empty()) return absl::InvalidArgumentError("a snapshot needs a session");
  auto client = sink::StreamLoadClient::Create(config.stream_load);
  if (!client.ok()) return client.status();
  sink::StreamLoadOptions validated = (*client)->options();
  std::unique_ptr<SnapshotCopy> copy(new SnapshotCopy(std::move(config), std::move(start)));
  copy->shared_->load_options = std::move(validated);
  return copy;
}

SnapshotCopy::SnapshotCopy(SnapshotCopyConfig config, SnapshotStart start)
    : config_(std::move(config)),
      checkpoint_(start.checkpoint),
      epoch_(start.epoch),
      exact_(start.exported),
      shared_(std::make_shared<Shared>()) {
  shared_->tables = std::move(start.tables);
  shared_->live_rows = std::make_unique<std::atomic<int64_t>[]>(shared_->tables.size());
  shared_->sink_options = config_.sink;
  // Every session's copy buffers at most its share of the pipeline's memory.
  shared_->sink_options.max_buffered_bytes =
      std::max<uint64_t>(config_.sink.max_buffered_bytes / start.sessions.size(), 1 << 20);
  shared_->body_pool = std::make_unique<sink::BodyBufferPool>(start.sessions.size() + 1,
                                                              2 * config_.sink.limits.max_bytes);
  shared_->sink_options.body_pool = shared_->body_pool.get();
  for (size_t t = 0; t < shared_->tables.size(); ++t) {
    TableWork& work = shared_->tables[t];
    work.progress.rows_copied = 0;  // recounted from the chunks that landed
    for (size_t c = 0; c < work.chunks.size(); ++c) {
      if (work.chunks[c].done) {
        work.progress.rows_copied += work.chunks[c].rows_copied;
      } else {
        pending_.push_back(ChunkRef{t, c});
      }
    }
  }
  std::reverse(pending_.begin(), pending_.end());  // popped from the back: table order
  idle_sessions_ = std::move(start.sessions);
}

SnapshotCopy::~SnapshotCopy() { shared_->cancel.store(true); }

void SnapshotCopy::Cancel() { shared_->cancel.store(true); }

bool SnapshotCopy::Busy() const { return running_ > 0; }

void SnapshotCopy::StartChunk(std::unique_ptr<postgres::PgConnection> session, ChunkRef ref) {
  ++running_;
  const TableWork& work = shared_->tables[ref.table];
  state::SnapshotChunkProgress chunk = work.chunks[ref.chunk];
  ChunkBounds bounds{chunk.lower_bound, chunk.upper_bound};
  config_.run_job(
      [shared = shared_, session = std::move(session), ref, chunk, bounds, chunking = work.chunking,
       store = config_.store, dispatcher = config_.dispatcher, wake = config_.wake,
       stopping = config_.stopping,
       scope = absl::StrCat(config_.pipeline_id, "-s", epoch_, "c", chunk.chunk_id)]() mutable {
        ChunkCopyOptions options;
        options.label_scope = scope;
        options.sink = shared->sink_options;
        options.load_options = &shared->load_options;
        options.dispatcher = dispatcher;
        options.rows_progress = &shared->live_rows[ref.table];
        std::function<bool()> cancelled = [&shared, stopping] {
          return shared->cancel.load() || (stopping != nullptr && stopping->load());
        };
        absl::StatusOr<ChunkCopyStats> result =
            cancelled()
                ? absl::StatusOr<ChunkCopyStats>(absl::CancelledError("snapshot copy cancelled"))
                : CopyChunk(*session, shared->tables[ref.table].table, chunking, bounds, options,
                            cancelled);
        if (result.ok()) {
          // Durable before the chunk counts as done: a later attempt skips it.
          chunk.done = true;
          chunk.rows_copied = result->rows;
          if (absl::Status s = store->UpsertSnapshotChunks({&chunk, 1}); !s.ok()) result = s;
        }
        if (!result.ok()) session.reset();  // mid-COPY or broken: unusable
        {
          absl::MutexLock lock(&shared->mu);
          shared->done.push_back(Shared::Done{ref, std::move(session), std::move(result)});
        }
        if (wake) wake();
      });
}

absl::StatusOr<SnapshotCopy::Outcome> SnapshotCopy::Advance() {
  if (finished_) return Outcome::kDone;
  std::vector<Shared::Done> done;
  {
    absl::MutexLock lock(&shared_->mu);
    done.swap(shared_->done);
  }
  for (Shared::Done& d : done) {
    --running_;
    TableWork& work = shared_->tables[d.ref.table];
    if (!d.result.ok()) {
      if (error_.ok() && d.result.status().code() != absl::StatusCode::kCancelled) {
        error_ = d.result.status();
      }
      shared_->cancel.store(true);
      continue;
    }
    state::SnapshotChunkProgress& chunk = work.chunks[d.ref.chunk];
    chunk.done = true;
    chunk.rows_copied = d.result->rows;
    shared_->live_rows[d.ref.table].fetch_sub(d.result->rows);
    work.progress.rows_copied += d.result->rows;
    bool table_done =
        std::all_of(work.chunks.begin(), work.chunks.end(), [](const auto& c) { return c.done; });
    work.progress.state =
        table_done ? state::SnapshotTableState::kDone : state::SnapshotTableState::kCopying;
    if (table_done) {
      if (absl::Status s = config_.store->UpsertSnapshotTable(work.progress); !s.ok()) {
        if (error_.ok()) error_ = s;
        shared_->cancel.store(true);
      }
    }
    idle_sessions_.push_back(std::move(d.session));
  }
  if (shared_->cancel.load()) {
    if (running_ > 0) return Outcome::kRunning;
    idle_sessions_.clear();
    if (!error_.ok()) return error_;
    return absl::CancelledError("snapshot copy cancelled");
  }
  while (!pending_.empty() && !idle_sessions_.empty()) {
    ChunkRef ref = pending_.back();
    pending_.pop_back();
    std::unique_ptr<postgres::PgConnection> session = std::move(idle_sessions_.back());
    idle_sessions_.pop_back();
    StartChunk(std::move(session), ref);
  }
  if (!pending_.empty() || running_ > 0) return Outcome::kRunning;
  idle_sessions_.clear();  // ends the read-only transactions
  if (absl::Status s = config_.store->FinishSnapshot(config_.pipeline_id); !s.ok()) return s;
  finished_ = true;
  return Outcome::kDone;
}

SnapshotProgress SnapshotCopy::Progress() const {
  SnapshotProgress p;
  p.epoch = epoch_;
  for (size_t t = 0; t < shared_->tables.size(); ++t) {
    const TableWork& work = shared_->tables[t];
    TableProgress& tp = p.tables.emplace_back();
    tp.table = work.progress.table_name;
    tp.rows_estimate = work.progress.rows_estimate;
    tp.rows_copied = work.progress.rows_copied + shared_->live_rows[t].load();
    tp.chunks_total = static_cast<int>(work.chunks.size());
    for (const auto& c : work.chunks) tp.chunks_done += c.done ? 1 : 0;
    p.rows_copied += tp.rows_copied;
    p.chunks_done += tp.chunks_done;
    p.chunks_total += tp.chunks_total;
  }
  return p;
}

}  // namespace dbmazz::snapshot
