#include "engine/snapshot/snapshot_setup.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/postgres/source_admin.h"
#include "engine/replication/replication_commands.h"

namespace dbmazz::snapshot {
namespace {

using postgres::PgConnection;

// Opens `count` sessions in REPEATABLE READ transactions sharing one
// snapshot: `snapshot_name` when given (it must stay valid meanwhile),
// otherwise one the first session exports.
absl::StatusOr<std::vector<std::unique_ptr<PgConnection>>> OpenSessions(
    const SnapshotConfig& config, int count, std::string snapshot_name) {
  postgres::ConnectOptions options;
  options.connect_timeout = config.connect_timeout;
  options.application_name = "dbmazz snapshot";
  std::vector<std::unique_ptr<PgConnection>> sessions;
  for (int i = 0; i < count; ++i) {
    auto conn = PgConnection::Connect(config.dsn, options);
    if (!conn.ok()) return conn.status();
    // No statement timeout: a chunk's COPY may run long (it is cancelled by
    // closing the session). Idle-in-transaction limits would break the
    // snapshot: turn them off for this session.
    std::string begin =
        "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; "
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    if (auto r = (*conn)->Exec(begin); !r.ok()) return r.status();
    if (snapshot_name.empty()) {
      auto r = (*conn)->Exec("SELECT pg_export_snapshot()");
      if (!r.ok()) return r.status();
      snapshot_name = std::string(r->Get(0, 0));
    } else if (auto r = (*conn)->Exec(absl::StrCat("SET TRANSACTION SNAPSHOT ",
                                                   postgres::QuoteLiteral(snapshot_name)));
               !r.ok()) {
      return r.status();
    }
    sessions.push_back(std::move(*conn));
  }
  return sessions;
}

// A new plan: every table described and split under the sessions' snapshot.
absl::StatusOr<std::vector<TableWork>> Plan(const SnapshotConfig& config, PgConnection& session) {
  std::vector<TableWork> work;
  for (const postgres::TableName& name : config.tables) {
    TableWork& t = work.emplace_back();
    auto table = DescribeSnapshotTable(session, name);
    if (!table.ok()) return table.status();
    t.table = std::move(*table);
    auto plan = PlanTable(session, t.table, config.chunk_rows);
    if (!plan.ok()) return plan.status();
    t.chunking = plan->chunking;
    t.progress.pipeline_id = config.pipeline_id;
    t.progress.table_name = name.Display();
    t.progress.chunking = std::string(ChunkingName(plan->chunking));
    t.progress.rows_estimate = static_cast<int64_t>(t.table.rows_estimate);
    for (size_t i = 0; i < plan->chunks.size(); ++i) {
      state::SnapshotChunkProgress& c = t.chunks.emplace_back();
      c.pipeline_id = config.pipeline_id;
      c.table_name = t.progress.table_name;
      c.chunk_id = static_cast<int64_t>(i);
      c.lower_bound = plan->chunks[i].lower;
      c.upper_bound = plan->chunks[i].upper;
    }
  }
  return work;
}

// The plan of an earlier attempt; tables chunked by block range start over.
absl::StatusOr<std::vector<TableWork>> LoadPlan(
    const SnapshotConfig& config, state::StateStore& store, PgConnection& session,
    const std::vector<state::SnapshotTableProgress>& stored) {
  std::vector<TableWork> work;
  for (const postgres::TableName& name : config.tables) {
    auto found = std::find_if(stored.begin(), stored.end(),
                              [&](const auto& p) { return p.table_name == name.Display(); });
    if (found == stored.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the snapshot plan has no table ", name.Display(),
                       " (the table list changed during the snapshot)"));
    }
    TableWork& t = work.emplace_back();
    t.progress = *found;
    auto chunking = ParseChunking(found->chunking);
    if (!chunking.ok()) return chunking.status();
    t.chunking = *chunking;
    auto table = DescribeSnapshotTable(session, name);
    if (!table.ok()) return table.status();
    t.table = std::move(*table);
    auto chunks = store.ListSnapshotChunks(config.pipeline_id, t.progress.table_name);
    if (!chunks.ok()) return chunks.status();
    t.chunks = std::move(*chunks);
    bool all_done =
        std::all_of(t.chunks.begin(), t.chunks.end(), [](const auto& c) { return c.done; });
    if (t.chunking == Chunking::kCtidRange && !all_done) {
      for (auto& c : t.chunks) {
        c.done = false;
        c.rows_copied = 0;
      }
      t.progress.rows_copied = 0;
      t.progress.state = state::SnapshotTableState::kPending;
      if (absl::Status s = store.UpsertSnapshotTable(t.progress); !s.ok()) return s;
      if (absl::Status s = store.UpsertSnapshotChunks(t.chunks); !s.ok()) return s;
    }
  }
  return work;
}

}  // namespace

absl::StatusOr<SnapshotStart> StartSnapshot(const SnapshotConfig& config,
                                            state::StateStore& store) {
  postgres::ConnectOptions options;
  options.connect_timeout = config.connect_timeout;
  auto conn = PgConnection::Connect(config.dsn, options);
  if (!conn.ok()) return conn.status();
  postgres::SourceAdmin admin(conn->get());
  auto record = store.GetPipeline(config.pipeline_id);
  if (!record.ok()) return record.status();
  auto created_publication = admin.EnsurePublication(config.publication_name, config.tables);
  if (!created_publication.ok()) return created_publication.status();
  bool publication_ours = record->publication_created_by_us || *created_publication;
  if (*created_publication) {
    if (absl::Status s =
            store.SetCreatedByUs(config.pipeline_id, record->slot_created_by_us, publication_ours);
        !s.ok()) {
      return s;
    }
  }
  auto checkpoint = store.LoadCheckpoint(config.pipeline_id);
  if (!checkpoint.ok()) return checkpoint.status();
  auto slot = admin.GetSlot(config.slot_name);
  if (!slot.ok()) return slot.status();

  SnapshotStart start;
  std::unique_ptr<PgConnection> replication;  // holds the exported snapshot
  std::string snapshot_name;
  if (slot->has_value()) {
    if (absl::Status s = postgres::CheckSlotUsable(**slot); !s.ok()) return s;
    start.checkpoint = *checkpoint != kInvalidLsn ? *checkpoint : (*slot)->confirmed_flush_lsn;
  } else if (*checkpoint != kInvalidLsn) {
    return postgres::SlotVanishedError(config.slot_name);
  } else {
    postgres::ConnectOptions repl_options = options;
    repl_options.replication = true;
    auto repl = PgConnection::Connect(config.dsn, repl_options);
    if (!repl.ok()) return repl.status();
    // Recorded first: a crash right after creating the slot must not leave
    // it behind as if it were the user's.
    if (absl::Status s = store.SetCreatedByUs(config.pipeline_id, true, publication_ours);
        !s.ok()) {
      return s;
    }
    auto made = replication::CreateLogicalSlot(**repl, config.slot_name,
                                               replication::SnapshotAction::kExport);
    if (!made.ok()) return made.status();
    start.checkpoint = made->consistent_point;
    start.exported = true;
    snapshot_name = made->snapshot_name;
    replication = std::move(*repl);
  }

  auto epoch = store.BeginSnapshotAttempt(config.pipeline_id);
  if (!epoch.ok()) return epoch.status();
  start.epoch = *epoch;
  auto sessions = OpenSessions(config, std::max(config.parallelism, 1), snapshot_name);
  if (!sessions.ok()) return sessions.status();
  start.sessions = std::move(*sessions);
  replication.reset();  // every session holds the snapshot now

  auto stored = store.ListSnapshotTables(config.pipeline_id);
  if (!stored.ok()) return stored.status();
  if (stored->empty()) {
    auto work = Plan(config, *start.sessions[0]);
    if (!work.ok()) return work.status();
    start.tables = std::move(*work);
    std::vector<state::SnapshotTableProgress> tables;
    std::vector<state::SnapshotChunkProgress> chunks;
    for (const TableWork& t : start.tables) {
      tables.push_back(t.progress);
      chunks.insert(chunks.end(), t.chunks.begin(), t.chunks.end());
    }
    if (absl::Status s =
            store.SaveSnapshotPlan(config.pipeline_id, start.checkpoint, tables, chunks);
        !s.ok()) {
      return s;
    }
  } else {
    auto work = LoadPlan(config, store, *start.sessions[0], *stored);
    if (!work.ok()) return work.status();
    start.tables = std::move(*work);
    if (*checkpoint == kInvalidLsn) {
      if (absl::Status s = store.SaveCheckpoint(config.pipeline_id, start.checkpoint); !s.ok()) {
        return s;
      }
    }
  }
  return start;
}

}  // namespace dbmazz::snapshot
