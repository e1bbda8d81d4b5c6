// Decoded pgoutput messages (logical replication protocol versions 1-4).
//
// Every string_view and TupleData column points into the payload buffer that
// was decoded: a DecodedMessage is valid only while that buffer lives and
// until the next Decode() into the same object. Copy what must outlive it
// (RelationCache does this for Relation messages).
//
// Layouts: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
#ifndef DBMAZZ_ENGINE_PGOUTPUT_MESSAGES_H_
#define DBMAZZ_ENGINE_PGOUTPUT_MESSAGES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/common/lsn.h"

namespace dbmazz::pgoutput {

// The message type byte that starts every pgoutput payload.
enum class MessageType : char {
  kBegin = 'B',
  kCommit = 'C',
  kOrigin = 'O',
  kRelation = 'R',
  kType = 'Y',
  kInsert = 'I',
  kUpdate = 'U',
  kDelete = 'D',
  kTruncate = 'T',
  kMessage = 'M',
  kStreamStart = 'S',
  kStreamStop = 'E',
  kStreamCommit = 'c',
  kStreamAbort = 'A',
  kBeginPrepare = 'b',
  kPrepare = 'P',
  kCommitPrepared = 'K',
  kRollbackPrepared = 'r',
  kStreamPrepare = 'p',
};

// Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).
using PgTimestamp = int64_t;
inline constexpr int64_t kPgEpochUnixSeconds = 946684800;

// One column of a TupleData.
enum class ColumnKind : char {
  kNull = 'n',
  kUnchangedToast = 'u',  // value not sent: unchanged out-of-line (TOAST) value
  kText = 't',
  kBinary = 'b',
};

struct ColumnValue {
  ColumnKind kind = ColumnKind::kNull;
  std::string_view data;  // empty for kNull / kUnchangedToast
};

// The columns of one row image. The vector is reused across decodes (no
// allocation per message once it has grown to the widest table).
struct TupleData {
  std::vector<ColumnValue> columns;
};

struct BeginMessage {
  Lsn final_lsn = 0;  // LSN of the commit record
  PgTimestamp commit_time = 0;
  uint32_t xid = 0;
};

struct CommitMessage {
  uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the position to confirm as flushed once durable
  PgTimestamp commit_time = 0;
};

struct OriginMessage {
  Lsn commit_lsn = 0;
  std::string_view name;
};

struct RelationColumn {
  uint8_t flags = 0;  // 1 = part of the replica identity key
  std::string_view name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool is_key() const { return (flags & 1) != 0; }
};

struct RelationMessage {
  uint32_t relation_id = 0;
  std::string_view namespace_name;  // "" means pg_catalog on the wire; kept verbatim
  std::string_view relation_name;
  char replica_identity = 'd';  // d(efault) n(othing) f(ull) i(ndex)
  std::vector<RelationColumn> columns;
};

struct TypeMessage {
  uint32_t type_oid = 0;
  std::string_view namespace_name;
  std::string_view type_name;
};

struct InsertMessage {
  uint32_t relation_id = 0;
  TupleData new_tuple;
};

// old_kind: 0 = no old tuple, 'K' = key columns only (others are kNull and
// mean "not sent"), 'O' = the full old row (REPLICA IDENTITY FULL).
struct UpdateMessage {
  uint32_t relation_id = 0;
  char old_kind = 0;
  TupleData old_tuple;
  TupleData new_tuple;
};

struct DeleteMessage {
  uint32_t relation_id = 0;
  char old_kind = 'K';  // 'K' or 'O'
  TupleData old_tuple;
};

struct TruncateMessage {
  uint8_t options = 0;  // 1 = CASCADE, 2 = RESTART IDENTITY
  std::vector<uint32_t> relation_ids;
};

struct LogicalMessage {
  uint8_t flags = 0;  // 1 = transactional
  Lsn lsn = 0;
  std::string_view prefix;
  std::string_view content;
};

struct StreamStartMessage {
  uint32_t xid = 0;
  uint8_t first_segment = 0;
};

struct StreamCommitMessage {
  uint32_t xid = 0;
  uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  PgTimestamp commit_time = 0;
};

struct StreamAbortMessage {
  uint32_t xid = 0;
  uint32_t subxid = 0;
  bool has_abort_info = false;  // only with streaming 'parallel' (protocol 4)
  Lsn abort_lsn = 0;
  PgTimestamp abort_time = 0;
};

struct BeginPrepareMessage {
  Lsn prepare_lsn = 0;
  Lsn end_lsn = 0;
  PgTimestamp prepare_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

// Prepare ('P') and Stream Prepare ('p') share this layout.
struct PrepareMessage {
  uint8_t flags = 0;
  Lsn prepare_lsn = 0;
  Lsn end_lsn = 0;
  PgTimestamp prepare_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

struct CommitPreparedMessage {
  uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  PgTimestamp commit_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

struct RollbackPreparedMessage {
  uint8_t flags = 0;
  Lsn prepare_end_lsn = 0;
  Lsn rollback_end_lsn = 0;
  PgTimestamp prepare_time = 0;
  PgTimestamp rollback_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

// The result of decoding one payload. Only the member named by `type` is
// meaningful; the others keep stale contents (and their capacity) from earlier
// decodes. `xid` is set for messages inside a streaming block (protocol >= 2),
// 0 otherwise. It is the xid of the (sub)transaction the change belongs to:
// changes made under a SAVEPOINT carry the subtransaction's xid, not the
// Stream Start xid, and a Stream Abort whose subxid differs from its xid
// discards exactly the changes that carried that subxid.
struct DecodedMessage {
  MessageType type = MessageType::kBegin;
  uint32_t xid = 0;
  BeginMessage begin;
  CommitMessage commit;
  OriginMessage origin;
  RelationMessage relation;
  TypeMessage type_info;
  InsertMessage insert;
  UpdateMessage update;
  DeleteMessage del;
  TruncateMessage truncate;
  LogicalMessage message;
  StreamStartMessage stream_start;
  StreamCommitMessage stream_commit;
  StreamAbortMessage stream_abort;
  BeginPrepareMessage begin_prepare;
  PrepareMessage prepare;  // also Stream Prepare
  CommitPreparedMessage commit_prepared;
  RollbackPreparedMessage rollback_prepared;
};

}  // namespace dbmazz::pgoutput

#endif  // DBMAZZ_ENGINE_PGOUTPUT_MESSAGES_H_
