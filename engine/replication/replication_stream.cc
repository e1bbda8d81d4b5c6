#include "engine/replication/replication_stream.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/pgoutput/byte_reader.h"
#include "engine/postgres/pg_error.h"

namespace dbmazz::replication {
namespace {

using pgoutput::MessageType;

constexpr int kXLogDataHeader = 1 + 8 + 8 + 8;  // 'w', dataStart, walEnd, sendTime
constexpr int kKeepaliveSize = 1 + 8 + 8 + 1;   // 'k', walEnd, sendTime, replyRequested
// PollAndPump() coalescing: after a pump that drained fewer than this many
// messages while data was flowing, wait kCoalesceDelay before polling again.
constexpr int kCoalesceBelowMessages = 64;
constexpr absl::Duration kCoalesceDelay = absl::Microseconds(500);
constexpr int64_t kUnixToPgEpochMicros = 946684800LL * 1000000;

void StoreBE64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

int64_t PgNowMicros() { return absl::ToUnixMicros(absl::Now()) - kUnixToPgEpochMicros; }

struct CopyBuffer {
  char* data = nullptr;
  ~CopyBuffer() {
    if (data != nullptr) PQfreemem(data);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<ReplicationStream>> ReplicationStream::Start(
    std::unique_ptr<postgres::PgConnection> conn, const StreamOptions& options) {
  int server_version = conn->server_version();
  StartOptions start = options.start;
  if (start.start_lsn == kInvalidLsn) start.start_lsn = options.resume_after;
  if (start.protocol_version == 0) start.protocol_version = DefaultProtocolVersion(server_version);
  auto command = BuildStartReplicationCommand(start, server_version);
  if (!command.ok()) return command.status();
  if (absl::Status s = conn->StartCopyBoth(*command, options.start_timeout); !s.ok()) return s;
  return std::unique_ptr<ReplicationStream>(
      new ReplicationStream(std::move(conn), options, start.protocol_version));
}

ReplicationStream::ReplicationStream(std::unique_ptr<postgres::PgConnection> conn,
                                     const StreamOptions& options, int protocol_version)
    : conn_(std::move(conn)),
      options_(options),
      protocol_version_(protocol_version),
      decoder_(pgoutput::DecoderOptions{protocol_version, /*streaming_parallel=*/false}),
      durable_lsn_(options.resume_after),
      flush_lsn_(options.resume_after),
      last_commit_end_(options.resume_after) {}

ReplicationStream::~ReplicationStream() = default;

bool ReplicationStream::NothingInFlight() const {
  return !in_transaction_ && open_streamed_xids_.empty() && durable_lsn_ >= last_commit_end_;
}

void ReplicationStream::ConfirmDurable(Lsn end_lsn) {
  durable_lsn_ = std::max(durable_lsn_, end_lsn);
  flush_lsn_ = std::max(flush_lsn_, durable_lsn_);
}

absl::Time ReplicationStream::next_status_time() const {
  // A reply the server asked for is due at once. An unsent status
  // (write_pending_) waits for the socket to be writable, not for a time.
  if (reply_requested_) return absl::InfinitePast();
  absl::Time periodic = last_status_time_ + options_.status_interval;
  if (flush_lsn_ > last_status_flush_)
    periodic = std::min(periodic, last_status_time_ + absl::Seconds(1));
  return periodic;
}

absl::Status ReplicationStream::FlushOutput() {
  int f = PQflush(conn_->raw());
  if (f < 0) return postgres::StatusFromConnection(conn_->raw(), "replication feedback");
  write_pending_ = f > 0;
  return absl::OkStatus();
}

absl::Status ReplicationStream::SendStatus(bool request_reply) {
  char msg[34];
  msg[0] = 'r';
  StoreBE64(msg + 1, std::max(received_lsn_, flush_lsn_));  // written
  StoreBE64(msg + 9, flush_lsn_);                           // flushed
  StoreBE64(msg + 17, flush_lsn_);                          // applied
  StoreBE64(msg + 25, static_cast<uint64_t>(PgNowMicros()));
  msg[33] = request_reply ? 1 : 0;
  int put = PQputCopyData(conn_->raw(), msg, sizeof(msg));
  if (put < 0) return postgres::StatusFromConnection(conn_->raw(), "replication feedback");
  if (put == 0) {  // libpq's buffer is full: try again when writable
    write_pending_ = true;
    return absl::OkStatus();
  }
  reply_requested_ = false;
  last_status_time_ = absl::Now();
  last_status_flush_ = flush_lsn_;
  return FlushOutput();
}

absl::Status ReplicationStream::SendStatusIfDue(absl::Time now) {
  if (closed_) return absl::FailedPreconditionError("replication stream is closed");
  if (write_pending_) {
    if (absl::Status s = FlushOutput(); !s.ok()) return s;
  }
  if (now >= next_status_time()) return SendStatus(false);
  return absl::OkStatus();
}

absl::Status ReplicationStream::HandleKeepalive(const char* data, int len) {
  if (len != kKeepaliveSize) {
    return absl::DataLossError(absl::StrCat("keepalive message of ", len, " bytes, expected 18"));
  }
  pgoutput::ByteReader reader(std::string_view(data + 1, len - 1), "keepalive");
  uint64_t wal_end, send_time;
  uint8_t reply;
  if (!reader.ReadU64(&wal_end) || !reader.ReadU64(&send_time) || !reader.ReadU8(&reply)) {
    return absl::DataLossError("keepalive message is truncated");
  }
  server_wal_end_ = wal_end;
  if (reply != 0) reply_requested_ = true;
  if (NothingInFlight() && server_wal_end_ > flush_lsn_) flush_lsn_ = server_wal_end_;
  return absl::OkStatus();
}

absl::Status ReplicationStream::HandleXLogData(ChangeHandler& handler, const char* data, int len) {
  pgoutput::ByteReader reader(std::string_view(data + 1, len - 1), "XLogData");
  uint64_t wal_start, wal_end, send_time;
  if (!reader.ReadU64(&wal_start) || !reader.ReadU64(&wal_end) || !reader.ReadU64(&send_time)) {
    return absl::DataLossError(absl::StrCat("XLogData message of ", len, " bytes is truncated"));
  }
  received_lsn_ = std::max(received_lsn_, wal_end);
  std::string_view payload(data + kXLogDataHeader, len - kXLogDataHeader);
  if (absl::Status s = decoder_.Decode(payload, &message_); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), " (XLogData at ", FormatLsn(wal_start), ")"));
  }
  bool deliver = !skipping_;
  switch (message_.type) {
    case MessageType::kBegin:
      in_transaction_ = true;
      // Commits arrive in order: a commit record before our checkpoint means
      // the whole transaction was applied before (its end_lsn <= checkpoint).
      skipping_ = message_.begin.final_lsn < options_.resume_after;
      deliver = !skipping_;
      break;
    case MessageType::kCommit:
      in_transaction_ = false;
      if (!skipping_) last_commit_end_ = std::max(last_commit_end_, message_.commit.end_lsn);
      skipping_ = false;
      break;
    case MessageType::kBeginPrepare:
      in_transaction_ = true;
      break;
    case MessageType::kPrepare:
      in_transaction_ = false;
      break;
    case MessageType::kCommitPrepared:
      last_commit_end_ = std::max(last_commit_end_, message_.commit_prepared.end_lsn);
      break;
    case MessageType::kRollbackPrepared:
      break;
    case MessageType::kStreamStart:
      open_streamed_xids_.insert(message_.stream_start.xid);
      break;
    case MessageType::kStreamCommit:
      open_streamed_xids_.erase(message_.stream_commit.xid);
      last_commit_end_ = std::max(last_commit_end_, message_.stream_commit.end_lsn);
      break;
    case MessageType::kStreamAbort:
      if (message_.stream_abort.xid == message_.stream_abort.subxid) {
        open_streamed_xids_.erase(message_.stream_abort.xid);
      }
      break;
    case MessageType::kRelation:
    case MessageType::kType:
      deliver = true;  // schema knowledge is needed even for skipped transactions
      break;
    case MessageType::kMessage:
      if (!(message_.message.flags & 1) && message_.message.lsn < options_.resume_after) {
        deliver = false;  // non-transactional message delivered before the checkpoint
      }
      break;
    default:
      break;
  }
  if (!deliver) return absl::OkStatus();
  return handler.OnMessage(message_, wal_start);
}

absl::StatusOr<ReplicationStream::PumpResult> ReplicationStream::Pump(ChangeHandler& handler,
                                                                      int max_messages) {
  if (closed_) return absl::FailedPreconditionError("replication stream is closed");
  PGconn* pg = conn_->raw();
  if (PQconsumeInput(pg) == 0) return postgres::StatusFromConnection(pg, "replication stream");
  PumpResult result;
  while (result.messages < max_messages) {
    CopyBuffer buf;
    int len = PQgetCopyData(pg, &buf.data, /*async=*/1);
    if (len == 0) {
      result.would_block = true;
      break;
    }
    if (len == -1) {  // the server ended the COPY
      postgres::PgResult r(PQgetResult(pg));
      if (r.get() != nullptr && PQresultStatus(r.get()) == PGRES_FATAL_ERROR) {
        return postgres::StatusFromResult(r.get(), "replication stream");
      }
      return absl::UnavailableError("replication stream ended by the server");
    }
    if (len < 0) return postgres::StatusFromConnection(pg, "replication stream");
    bytes_received_ += static_cast<uint64_t>(len);
    ++result.messages;
    absl::Status s;
    switch (buf.data[0]) {
      case 'w':
        s = HandleXLogData(handler, buf.data, len);
        break;
      case 'k':
        s = HandleKeepalive(buf.data, len);
        break;
      default:
        s = absl::DataLossError(absl::StrCat("unknown replication message type 0x",
                                             absl::Hex(static_cast<unsigned char>(buf.data[0]))));
    }
    if (!s.ok()) return s;
  }
  if (absl::Status s = SendStatusIfDue(absl::Now()); !s.ok()) return s;
  return result;
}

absl::StatusOr<ReplicationStream::PumpResult> ReplicationStream::PollAndPump(ChangeHandler& handler,
                                                                             int max_messages,
                                                                             absl::Time deadline) {
  absl::Time wake = std::min(deadline, next_status_time());
  if (last_pump_small_) {
    // The server is streaming but we drained it after a few messages: give
    // data a moment to accumulate instead of paying a poll and a read for
    // every message or two (bounded: kCoalesceDelay of latency).
    absl::SleepFor(std::min(kCoalesceDelay, std::max(absl::ZeroDuration(), wake - absl::Now())));
  }
  auto ready = conn_->WaitSocket(true, write_pending_, wake);
  if (!ready.ok()) return ready.status();
  auto result = Pump(handler, max_messages);
  if (result.ok()) {
    last_pump_small_ =
        result->would_block && result->messages > 0 && result->messages < kCoalesceBelowMessages;
  }
  return result;
}

absl::Status ReplicationStream::Close(absl::Duration timeout) {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  absl::Time deadline = absl::Now() + timeout;
  PGconn* pg = conn_->raw();
  absl::Status status = SendStatus(false);
  if (status.ok() && PQputCopyEnd(pg, nullptr) < 0) {
    status = postgres::StatusFromConnection(pg, "end replication");
  }
  while (status.ok()) {
    int f = PQflush(pg);
    if (f == 0) break;
    if (f < 0) {
      status = postgres::StatusFromConnection(pg, "end replication");
      break;
    }
    auto ready = conn_->WaitSocket(true, true, deadline);
    if (!ready.ok() || !*ready) {
      status = absl::DeadlineExceededError("end replication: timed out flushing");
      break;
    }
    PQconsumeInput(pg);
  }
  // Drain what the server still sends until it acknowledges the end of COPY.
  while (status.ok()) {
    CopyBuffer buf;
    int len = PQgetCopyData(pg, &buf.data, 1);
    if (len > 0) continue;
    if (len == -1) break;
    if (len == -2) {
      status = postgres::StatusFromConnection(pg, "end replication");
      break;
    }
    auto ready = conn_->WaitSocket(true, false, deadline);
    if (!ready.ok() || !*ready) {
      status = absl::DeadlineExceededError("end replication: server did not end COPY in time");
      break;
    }
    if (PQconsumeInput(pg) == 0) {
      status = postgres::StatusFromConnection(pg, "end replication");
      break;
    }
  }
  while (status.ok()) {
    while (PQisBusy(pg)) {
      auto ready = conn_->WaitSocket(true, false, deadline);
      if (!ready.ok() || !*ready)
        return absl::DeadlineExceededError("end replication: no final result");
      if (PQconsumeInput(pg) == 0) return postgres::StatusFromConnection(pg, "end replication");
    }
    postgres::PgResult r(PQgetResult(pg));
    if (r.get() == nullptr) break;
    if (PQresultStatus(r.get()) == PGRES_FATAL_ERROR) {
      status = postgres::StatusFromResult(r.get(), "end replication");
    }
  }
  return status;
}

}  // namespace dbmazz::replication
