#include "engine/pgoutput/decoder.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/pgoutput/byte_reader.h"

namespace dbmazz::pgoutput {
namespace {

// Error-message context for each message type ("pgoutput Insert"); nullptr
// for a byte that is no pgoutput message type.
const char* MessageContext(char type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kBegin:
      return "pgoutput Begin";
    case MessageType::kCommit:
      return "pgoutput Commit";
    case MessageType::kOrigin:
      return "pgoutput Origin";
    case MessageType::kRelation:
      return "pgoutput Relation";
    case MessageType::kType:
      return "pgoutput Type";
    case MessageType::kInsert:
      return "pgoutput Insert";
    case MessageType::kUpdate:
      return "pgoutput Update";
    case MessageType::kDelete:
      return "pgoutput Delete";
    case MessageType::kTruncate:
      return "pgoutput Truncate";
    case MessageType::kMessage:
      return "pgoutput Message";
    case MessageType::kStreamStart:
      return "pgoutput Stream Start";
    case MessageType::kStreamStop:
      return "pgoutput Stream Stop";
    case MessageType::kStreamCommit:
      return "pgoutput Stream Commit";
    case MessageType::kStreamAbort:
      return "pgoutput Stream Abort";
    case MessageType::kBeginPrepare:
      return "pgoutput Begin Prepare";
    case MessageType::kPrepare:
      return "pgoutput Prepare";
    case MessageType::kCommitPrepared:
      return "pgoutput Commit Prepared";
    case MessageType::kRollbackPrepared:
      return "pgoutput Rollback Prepared";
    case MessageType::kStreamPrepare:
      return "pgoutput Stream Prepare";
  }
  return nullptr;
}

// "'x' (0x78)" for printable bytes, "0x01" otherwise.
std::string DescribeByte(uint8_t byte) {
  std::string hex = absl::StrCat("0x", absl::Hex(byte, absl::kZeroPad2));
  if (byte < 0x20 || byte >= 0x7f) return hex;
  return absl::StrCat("'", std::string(1, static_cast<char>(byte)), "' (", hex, ")");
}

// The lowest protocol version that defines the message type.
int MinProtocolVersion(MessageType type) {
  switch (type) {
    case MessageType::kStreamStart:
    case MessageType::kStreamStop:
    case MessageType::kStreamCommit:
    case MessageType::kStreamAbort:
      return 2;
    case MessageType::kBeginPrepare:
    case MessageType::kPrepare:
    case MessageType::kCommitPrepared:
    case MessageType::kRollbackPrepared:
    case MessageType::kStreamPrepare:
      return 3;
    default:
      return 1;
  }
}

// Transaction boundaries PostgreSQL only sends outside a streaming block.
bool IsOutsideStreamOnly(MessageType type) {
  switch (type) {
    case MessageType::kBegin:
    case MessageType::kCommit:
    case MessageType::kStreamCommit:
    case MessageType::kStreamAbort:
    case MessageType::kBeginPrepare:
    case MessageType::kPrepare:
    case MessageType::kCommitPrepared:
    case MessageType::kRollbackPrepared:
    case MessageType::kStreamPrepare:
      return true;
    default:
      return false;
  }
}

absl::Status ReadTuple(ByteReader& r, TupleData* tuple) {
  uint16_t ncols;
  if (!r.ReadU16(&ncols)) return r.Truncated("tuple column count");
  // Every column takes at least its kind byte: refuse counts the payload
  // cannot hold before growing the vector.
  if (ncols > r.remaining()) {
    return r.Invalid(
        absl::StrCat("tuple column count ", ncols, " exceeds the ", r.remaining(), " bytes left"),
        r.offset() - 2);
  }
  tuple->columns.resize(ncols);
  for (ColumnValue& column : tuple->columns) {
    uint8_t kind;
    if (!r.ReadU8(&kind)) return r.Truncated("tuple column kind");
    switch (kind) {
      case 'n':
      case 'u':
        column.kind = static_cast<ColumnKind>(kind);
        column.data = {};
        break;
      case 't':
      case 'b': {
        uint32_t length;
        if (!r.ReadU32(&length)) return r.Truncated("column value length");
        if (!r.ReadBytes(length, &column.data)) return r.Truncated("column value");
        column.kind = static_cast<ColumnKind>(kind);
        break;
      }
      default:
        return r.Invalid(absl::StrCat("unknown tuple column kind ", DescribeByte(kind)),
                         r.offset() - 1);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadBegin(ByteReader& r, BeginMessage* m) {
  if (!r.ReadU64(&m->final_lsn)) return r.Truncated("final LSN");
  if (!r.ReadI64(&m->commit_time)) return r.Truncated("commit time");
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  return absl::OkStatus();
}

absl::Status ReadCommit(ByteReader& r, CommitMessage* m) {
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->commit_lsn)) return r.Truncated("commit LSN");
  if (!r.ReadU64(&m->end_lsn)) return r.Truncated("end LSN");
  if (!r.ReadI64(&m->commit_time)) return r.Truncated("commit time");
  return absl::OkStatus();
}

absl::Status ReadOrigin(ByteReader& r, OriginMessage* m) {
  if (!r.ReadU64(&m->commit_lsn)) return r.Truncated("origin commit LSN");
  if (!r.ReadString(&m->name)) return r.Truncated("origin name");
  return absl::OkStatus();
}

absl::Status ReadRelation(ByteReader& r, RelationMessage* m) {
  if (!r.ReadU32(&m->relation_id)) return r.Truncated("relation id");
  if (!r.ReadString(&m->namespace_name)) return r.Truncated("namespace");
  if (!r.ReadString(&m->relation_name)) return r.Truncated("relation name");
  uint8_t identity;
  if (!r.ReadU8(&identity)) return r.Truncated("replica identity");
  if (identity != 'd' && identity != 'n' && identity != 'f' && identity != 'i') {
    return r.Invalid(absl::StrCat("unknown replica identity ", DescribeByte(identity)),
                     r.offset() - 1);
  }
  m->replica_identity = static_cast<char>(identity);
  uint16_t ncols;
  if (!r.ReadU16(&ncols)) return r.Truncated("column count");
  // A column is at least 10 bytes: flags, "" name, type oid, type modifier.
  constexpr size_t kMinColumnBytes = 10;
  if (ncols > r.remaining() / kMinColumnBytes) {
    return r.Invalid(
        absl::StrCat("column count ", ncols, " exceeds the ", r.remaining(), " bytes left"),
        r.offset() - 2);
  }
  m->columns.resize(ncols);
  for (RelationColumn& column : m->columns) {
    if (!r.ReadU8(&column.flags)) return r.Truncated("column flags");
    if (!r.ReadString(&column.name)) return r.Truncated("column name");
    if (!r.ReadU32(&column.type_oid)) return r.Truncated("column type oid");
    if (!r.ReadI32(&column.type_modifier)) return r.Truncated("column type modifier");
  }
  return absl::OkStatus();
}

absl::Status ReadType(ByteReader& r, TypeMessage* m) {
  if (!r.ReadU32(&m->type_oid)) return r.Truncated("type oid");
  if (!r.ReadString(&m->namespace_name)) return r.Truncated("namespace");
  if (!r.ReadString(&m->type_name)) return r.Truncated("type name");
  return absl::OkStatus();
}

// Reads the 'N' marker and the new tuple.
absl::Status ReadNewTuple(ByteReader& r, TupleData* tuple) {
  uint8_t marker;
  if (!r.ReadU8(&marker)) return r.Truncated("new tuple marker");
  if (marker != 'N') {
    return r.Invalid(absl::StrCat("expected new tuple marker 'N', got ", DescribeByte(marker)),
                     r.offset() - 1);
  }
  return ReadTuple(r, tuple);
}

absl::Status ReadInsert(ByteReader& r, InsertMessage* m) {
  if (!r.ReadU32(&m->relation_id)) return r.Truncated("relation id");
  return ReadNewTuple(r, &m->new_tuple);
}

absl::Status ReadUpdate(ByteReader& r, UpdateMessage* m) {
  if (!r.ReadU32(&m->relation_id)) return r.Truncated("relation id");
  uint8_t marker;
  if (!r.ReadU8(&marker)) return r.Truncated("tuple marker");
  switch (marker) {
    case 'K':
    case 'O':
      m->old_kind = static_cast<char>(marker);
      if (absl::Status s = ReadTuple(r, &m->old_tuple); !s.ok()) return s;
      return ReadNewTuple(r, &m->new_tuple);
    case 'N':
      m->old_kind = 0;
      m->old_tuple.columns.clear();
      return ReadTuple(r, &m->new_tuple);
    default:
      return r.Invalid(absl::StrCat("invalid tuple marker ", DescribeByte(marker),
                                    " (expected 'K', 'O' or 'N')"),
                       r.offset() - 1);
  }
}

absl::Status ReadDelete(ByteReader& r, DeleteMessage* m) {
  if (!r.ReadU32(&m->relation_id)) return r.Truncated("relation id");
  uint8_t marker;
  if (!r.ReadU8(&marker)) return r.Truncated("old tuple marker");
  if (marker != 'K' && marker != 'O') {
    return r.Invalid(
        absl::StrCat("invalid old tuple marker ", DescribeByte(marker), " (expected 'K' or 'O')"),
        r.offset() - 1);
  }
  m->old_kind = static_cast<char>(marker);
  return ReadTuple(r, &m->old_tuple);
}

absl::Status ReadTruncate(ByteReader& r, TruncateMessage* m) {
  uint32_t nrels;
  if (!r.ReadU32(&nrels)) return r.Truncated("relation count");
  size_t count_offset = r.offset() - 4;
  if (!r.ReadU8(&m->options)) return r.Truncated("options");
  if (nrels > r.remaining() / 4) {
    return r.Invalid(
        absl::StrCat("relation count ", nrels, " exceeds the ", r.remaining(), " bytes left"),
        count_offset);
  }
  m->relation_ids.resize(nrels);
  for (uint32_t& id : m->relation_ids) {
    if (!r.ReadU32(&id)) return r.Truncated("relation id");
  }
  return absl::OkStatus();
}

absl::Status ReadLogicalMessage(ByteReader& r, LogicalMessage* m) {
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->lsn)) return r.Truncated("message LSN");
  if (!r.ReadString(&m->prefix)) return r.Truncated("prefix");
  uint32_t length;
  if (!r.ReadU32(&length)) return r.Truncated("content length");
  if (!r.ReadBytes(length, &m->content)) return r.Truncated("content");
  return absl::OkStatus();
}

absl::Status ReadStreamStart(ByteReader& r, StreamStartMessage* m) {
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadU8(&m->first_segment)) return r.Truncated("first segment flag");
  return absl::OkStatus();
}

absl::Status ReadStreamCommit(ByteReader& r, StreamCommitMessage* m) {
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->commit_lsn)) return r.Truncated("commit LSN");
  if (!r.ReadU64(&m->end_lsn)) return r.Truncated("end LSN");
  if (!r.ReadI64(&m->commit_time)) return r.Truncated("commit time");
  return absl::OkStatus();
}

absl::Status ReadStreamAbort(ByteReader& r, bool with_abort_info, StreamAbortMessage* m) {
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadU32(&m->subxid)) return r.Truncated("subtransaction xid");
  m->has_abort_info = with_abort_info;
  m->abort_lsn = 0;
  m->abort_time = 0;
  if (with_abort_info) {
    if (!r.ReadU64(&m->abort_lsn)) return r.Truncated("abort LSN");
    if (!r.ReadI64(&m->abort_time)) return r.Truncated("abort time");
  }
  return absl::OkStatus();
}

absl::Status ReadBeginPrepare(ByteReader& r, BeginPrepareMessage* m) {
  if (!r.ReadU64(&m->prepare_lsn)) return r.Truncated("prepare LSN");
  if (!r.ReadU64(&m->end_lsn)) return r.Truncated("end LSN");
  if (!r.ReadI64(&m->prepare_time)) return r.Truncated("prepare time");
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadString(&m->gid)) return r.Truncated("gid");
  return absl::OkStatus();
}

absl::Status ReadPrepare(ByteReader& r, PrepareMessage* m) {
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->prepare_lsn)) return r.Truncated("prepare LSN");
  if (!r.ReadU64(&m->end_lsn)) return r.Truncated("end LSN");
  if (!r.ReadI64(&m->prepare_time)) return r.Truncated("prepare time");
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadString(&m->gid)) return r.Truncated("gid");
  return absl::OkStatus();
}

absl::Status ReadCommitPrepared(ByteReader& r, CommitPreparedMessage* m) {
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->commit_lsn)) return r.Truncated("commit LSN");
  if (!r.ReadU64(&m->end_lsn)) return r.Truncated("end LSN");
  if (!r.ReadI64(&m->commit_time)) return r.Truncated("commit time");
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadString(&m->gid)) return r.Truncated("gid");
  return absl::OkStatus();
}

absl::Status ReadRollbackPrepared(ByteReader& r, RollbackPreparedMessage* m) {
  if (!r.ReadU8(&m->flags)) return r.Truncated("flags");
  if (!r.ReadU64(&m->prepare_end_lsn)) return r.Truncated("prepare end LSN");
  if (!r.ReadU64(&m->rollback_end_lsn)) return r.Truncated("rollback end LSN");
  if (!r.ReadI64(&m->prepare_time)) return r.Truncated("prepare time");
  if (!r.ReadI64(&m->rollback_time)) return r.Truncated("rollback time");
  if (!r.ReadU32(&m->xid)) return r.Truncated("xid");
  if (!r.ReadString(&m->gid)) return r.Truncated("gid");
  return absl::OkStatus();
}

}  // namespace

absl::Status Decoder::Decode(std::string_view payload, DecodedMessage* out) {
  if (payload.empty()) {
    return absl::DataLossError("pgoutput: empty message at offset 0");
  }
  const char type_byte = payload[0];
  const char* context = MessageContext(type_byte);
  if (context == nullptr) {
    return absl::DataLossError(absl::StrCat("pgoutput: unknown message type ",
                                            DescribeByte(static_cast<uint8_t>(type_byte)),
                                            " at offset 0"));
  }
  const auto type = static_cast<MessageType>(type_byte);
  // The reader starts at the type byte so that error offsets count from it.
  ByteReader r(payload, context);
  uint8_t type_read;
  if (!r.ReadU8(&type_read)) return r.Truncated("message type");

  if (int min_version = MinProtocolVersion(type); options_.protocol_version < min_version) {
    return r.Invalid(absl::StrCat("needs protocol version ", min_version, ", the session uses ",
                                  options_.protocol_version),
                     0);
  }
  if (in_stream_ && IsOutsideStreamOnly(type)) {
    return r.Invalid("not allowed inside a streaming block (before Stream Stop)", 0);
  }
  if (type == MessageType::kStreamStart && in_stream_) {
    return r.Invalid("nested Stream Start (the previous stream was not stopped)", 0);
  }
  if (type == MessageType::kStreamStop && !in_stream_) {
    return r.Invalid("Stream Stop without Stream Start", 0);
  }

  // R, Y, I, U, D, T and M carry the transaction's xid inside a streaming block.
  out->xid = 0;
  const bool has_xid = in_stream_ && options_.protocol_version >= 2;
  auto read_xid = [&]() -> absl::Status {
    if (has_xid && !r.ReadU32(&out->xid)) return r.Truncated("xid");
    return absl::OkStatus();
  };

  absl::Status status;
  switch (type) {
    case MessageType::kBegin:
      status = ReadBegin(r, &out->begin);
      break;
    case MessageType::kCommit:
      status = ReadCommit(r, &out->commit);
      break;
    case MessageType::kOrigin:
      status = ReadOrigin(r, &out->origin);
      break;
    case MessageType::kRelation:
      status = read_xid();
      if (status.ok()) status = ReadRelation(r, &out->relation);
      break;
    case MessageType::kType:
      status = read_xid();
      if (status.ok()) status = ReadType(r, &out->type_info);
      break;
    case MessageType::kInsert:
      status = read_xid();
      if (status.ok()) status = ReadInsert(r, &out->insert);
      break;
    case MessageType::kUpdate:
      status = read_xid();
      if (status.ok()) status = ReadUpdate(r, &out->update);
      break;
    case MessageType::kDelete:
      status = read_xid();
      if (status.ok()) status = ReadDelete(r, &out->del);
      break;
    case MessageType::kTruncate:
      status = read_xid();
      if (status.ok()) status = ReadTruncate(r, &out->truncate);
      break;
    case MessageType::kMessage:
      status = read_xid();
      if (status.ok()) status = ReadLogicalMessage(r, &out->message);
      break;
    case MessageType::kStreamStart:
      status = ReadStreamStart(r, &out->stream_start);
      break;
    case MessageType::kStreamStop:
      break;
    case MessageType::kStreamCommit:
      status = ReadStreamCommit(r, &out->stream_commit);
      break;
    case MessageType::kStreamAbort:
      status = ReadStreamAbort(r, options_.streaming_parallel, &out->stream_abort);
      break;
    case MessageType::kBeginPrepare:
      status = ReadBeginPrepare(r, &out->begin_prepare);
      break;
    case MessageType::kPrepare:
    case MessageType::kStreamPrepare:
      status = ReadPrepare(r, &out->prepare);
      break;
    case MessageType::kCommitPrepared:
      status = ReadCommitPrepared(r, &out->commit_prepared);
      break;
    case MessageType::kRollbackPrepared:
      status = ReadRollbackPrepared(r, &out->rollback_prepared);
      break;
  }
  if (!status.ok()) return status;
  if (!r.empty()) {
    return r.Invalid(absl::StrCat(r.remaining(), " trailing bytes after the message"));
  }

  out->type = type;
  if (type == MessageType::kStreamStart) in_stream_ = true;
  if (type == MessageType::kStreamStop) in_stream_ = false;
  return absl::OkStatus();
}

}  // namespace dbmazz::pgoutput
