#include "engine/snapshot/chunk_copier.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/postgres/pg_error.h"
#include "engine/sink/stream_load_batch_loader.h"
#include "engine/snapshot/copy_row_parser.h"

namespace dbmazz::snapshot {
namespace {

constexpr absl::Duration kMaxWait = absl::Milliseconds(100);

using Completions = std::vector<std::pair<uint32_t, absl::Status>>;

// Load completions, left by the dispatcher thread.
struct Mailbox {
  absl::Mutex mu;
  Completions done ABSL_GUARDED_BY(mu);
};

bool HasCompletions(Completions* done) { return !done->empty(); }

class Copy {
 public:
  Copy(postgres::PgConnection& session, const SnapshotTable& table, const ChunkCopyOptions& options,
       const std::function<bool()>& cancelled)
      : session_(session),
        table_(table),
        options_(options),
        cancelled_(cancelled),
        sink_(options.sink, nullptr, kInvalidLsn),
        mailbox_(std::make_shared<Mailbox>()) {}

  ~Copy() {
    for (const auto& [key, id] : in_flight_) options_.dispatcher->Cancel(id);
  }

  absl::StatusOr<ChunkCopyStats> Run(const std::string& sql) {
    if (absl::Status s = Send(sql); !s.ok()) return s;
    pgoutput::DecodedMessage m;
    m.type = pgoutput::MessageType::kRelation;
    m.relation = table_.relation();
    if (absl::Status s = sink_.OnMessage(m); !s.ok()) return s;
    if (absl::Status s = BeginSlice(); !s.ok()) return s;
    bool copy_done = false;
    while (true) {
      if (cancelled_()) return absl::CancelledError("snapshot copy cancelled");
      if (absl::Status s = ApplyCompletions(); !s.ok()) return s;
      bool would_block = false;
      if (!copy_done && !sink_.ShouldPause()) {
        auto read = ReadRows(&copy_done);
        PublishProgress();
        if (!read.ok()) return read.status();
        would_block = *read;
      }
      StartLoads(copy_done);
      if (copy_done && sink_.Idle()) break;
      if (absl::Status s = Wait(would_block); !s.ok()) return s;
    }
    stats_.bytes_loaded = sink_.stats().bytes_loaded;
    return stats_;
  }

 private:
  absl::Status Send(const std::string& sql) {
    PGconn* conn = session_.raw();
    if (PQsendQuery(conn, sql.c_str()) != 1) {
      return postgres::StatusFromConnection(conn, "COPY (snapshot)");
    }
    // Wait for the COPY OUT response (or an error: no table, no privilege).
    while (true) {
      if (cancelled_()) return absl::CancelledError("snapshot copy cancelled");
      if (PQconsumeInput(conn) != 1) return postgres::StatusFromConnection(conn, "COPY");
      if (!PQisBusy(conn)) break;
      if (absl::Status s = PollSocket(kMaxWait); !s.ok()) return s;
    }
    PGresult* result = PQgetResult(conn);
    ExecStatusType status = PQresultStatus(result);
    absl::Status error;
    if (status != PGRES_COPY_OUT) {
      error = postgres::StatusFromResult(result, absl::StrCat("copying ", table_.name.Display()));
    }
    PQclear(result);
    if (!error.ok()) {
      while ((result = PQgetResult(conn)) != nullptr) PQclear(result);
    }
    return error;
  }

  absl::Status PollSocket(absl::Duration timeout) {
    pollfd fd{session_.socket(), POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    if (::poll(&fd, 1, ms) < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // Reads what has arrived; true when it would have to wait for more.
  absl::StatusOr<bool> ReadRows(bool* copy_done) {
    PGconn* conn = session_.raw();
    if (PQconsumeInput(conn) != 1) return postgres::StatusFromConnection(conn, "COPY");
    pgoutput::DecodedMessage& m = insert_;  // reused: the tuple keeps its capacity
    m.type = pgoutput::MessageType::kInsert;
    m.insert.relation_id = table_.oid;
    for (int n = 0; n < 4096; ++n) {
      char* buffer = nullptr;
      int size = PQgetCopyData(conn, &buffer, /*async=*/1);
      if (size == 0) return true;
      if (size == -1) {
        *copy_done = true;
        PGresult* result = PQgetResult(conn);
        absl::Status s;
        if (PQresultStatus(result) != PGRES_COMMAND_OK) {
          s = postgres::StatusFromResult(result, absl::StrCat("copying ", table_.name.Display()));
        }
        PQclear(result);
        while ((result = PQgetResult(conn)) != nullptr) PQclear(result);
        if (!s.ok()) return s;
        if (absl::Status e = EndSlice(); !e.ok()) return e;
        return false;
      }
      if (size < 0) return postgres::StatusFromConnection(conn, "COPY");
      absl::Status s = parser_.Parse(std::string_view(buffer, static_cast<size_t>(size)),
                                     table_.columns.size(), &m.insert.new_tuple);
      if (s.ok()) s = sink_.OnMessage(m);
      PQfreemem(buffer);
      if (!s.ok()) {
        return absl::Status(s.code(),
                            absl::StrCat("copying ", table_.name.Display(), ": ", s.message()));
      }
      ++stats_.rows;
      if (++slice_rows_ == kRowsPerSlice) {
        if (absl::Status e = EndSlice(); !e.ok()) return e;
        if (absl::Status b = BeginSlice(); !b.ok()) return b;
      }
      if (sink_.ShouldPause()) return false;
    }
    return false;
  }

  // Progress is published once per read pass, not per row.
  void PublishProgress() {
    if (options_.rows_progress == nullptr) return;
    options_.rows_progress->fetch_add(stats_.rows - published_rows_);
    published_rows_ = stats_.rows;
  }

  absl::Status BeginSlice() {
    ++slice_;
    slice_rows_ = 0;
    pgoutput::DecodedMessage m;
    m.type = pgoutput::MessageType::kBegin;
    m.begin.final_lsn = slice_;
    return sink_.OnMessage(m);
  }

  absl::Status EndSlice() {
    pgoutput::DecodedMessage m;
    m.type = pgoutput::MessageType::kCommit;
    m.commit.commit_lsn = slice_;
    m.commit.end_lsn = slice_;
    return sink_.OnMessage(m);
  }

  absl::Status ApplyCompletions() {
    Completions done;
    {
      absl::MutexLock lock(&mailbox_->mu);
      done.swap(mailbox_->done);
    }
    absl::Status first;
    for (auto& [key, status] : done) {
      in_flight_.erase(key);
      absl::Status s = sink_.CompleteLoad(key, status);
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }

  void StartLoads(bool force) {
    for (const auto& ticket : sink_.StartLoads(absl::Now(), force || sink_.ShouldPause())) {
      uint32_t key = ticket.table_key;
      uint64_t id = options_.dispatcher->Submit(
          options_.load_options, sink::BatchRequest(options_.label_scope, *ticket.batch),
          [mailbox = mailbox_, key](sink::LoadResult result) {
            absl::MutexLock lock(&mailbox->mu);
            mailbox->done.emplace_back(key, std::move(result.status));
          });
      in_flight_[key] = id;
      ++stats_.loads;
    }
  }

  absl::Status Wait(bool would_block) {
    bool loads = !in_flight_.empty();
    if (would_block) {
      // Data or a completion, whichever first: completions are looked at
      // every 5 ms while loads are in flight.
      return PollSocket(loads ? absl::Milliseconds(5) : kMaxWait);
    }
    if (loads) {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->mu.AwaitWithTimeout(absl::Condition(&HasCompletions, &mailbox_->done), kMaxWait);
    }
    return absl::OkStatus();
  }

  postgres::PgConnection& session_;
  const SnapshotTable& table_;
  const ChunkCopyOptions& options_;
  const std::function<bool()>& cancelled_;
  sink::StarRocksSink sink_;
  CopyRowParser parser_;
  std::shared_ptr<Mailbox> mailbox_;
  absl::flat_hash_map<uint32_t, uint64_t> in_flight_;  // table key → load id
  pgoutput::DecodedMessage insert_;
  int64_t published_rows_ = 0;
  Lsn slice_ = 0;
  uint32_t slice_rows_ = 0;
  ChunkCopyStats stats_;
};

}  // namespace

absl::StatusOr<ChunkCopyStats> CopyChunk(postgres::PgConnection& session,
                                         const SnapshotTable& table, Chunking chunking,
                                         const ChunkBounds& bounds, const ChunkCopyOptions& options,
                                         const std::function<bool()>& cancelled) {
  Copy copy(session, table, options, cancelled);
  return copy.Run(ChunkCopySql(table, chunking, bounds));
}

}  // namespace dbmazz::snapshot
