// One logical replication session: START_REPLICATION over a replication
// connection, CopyBoth framing (XLogData 'w', keepalive 'k', standby status
// 'r'), pgoutput decoding, and the feedback that moves the slot.
//
// The flush LSN reported to PostgreSQL is what makes the server discard WAL,
// so it follows strict rules:
//  * it is only ever a commit end_lsn the consumer declared durable through
//    ConfirmDurable(), and it never moves backwards;
//  * when nothing is in flight (no transaction open, every received commit
//    confirmed durable) it advances to the walEnd of a keepalive, so an idle
//    or unpublished-traffic database does not pin WAL forever.
// Transactions whose commit precedes `resume_after` (the consumer's
// checkpoint) are dropped, because the server may resend them after a crash
// (its confirmed_flush is persisted lazily). Relation and Type messages inside
// them are still delivered: later rows depend on them.
//
// Non-blocking: Pump() never waits; PollAndPump() waits at most until its
// deadline or the next status update. Status updates go out at least every
// `status_interval` even when the consumer stops calling Pump() for
// backpressure, as long as it calls SendStatusIfDue().
//
// Ownership: owns the connection. The handler is borrowed for each call.
// Thread-safety: one thread at a time.
// Errors: kUnavailable (connection lost, server ended the stream),
// kDataLoss (malformed protocol bytes), handler errors unchanged, and the
// START_REPLICATION errors of pg_error.h (slot missing kNotFound, in use
// kUnavailable, invalidated kFailedPrecondition).
#ifndef DBMAZZ_ENGINE_REPLICATION_REPLICATION_STREAM_H_
#define DBMAZZ_ENGINE_REPLICATION_REPLICATION_STREAM_H_

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/common/lsn.h"
#include "engine/pgoutput/decoder.h"
#include "engine/postgres/pg_connection.h"
#include "engine/replication/replication_commands.h"

namespace dbmazz::replication {

// Receives decoded messages in stream order.
class ChangeHandler {
 public:
  virtual ~ChangeHandler() = default;
  // `wal_start` is the XLogData dataStart (the change's LSN; the end LSN for
  // Commit; 0 for Relation/Type). Views in `message` are valid only during the call.
  virtual absl::Status OnMessage(const pgoutput::DecodedMessage& message, Lsn wal_start) = 0;
};

struct StreamOptions {
  StartOptions start;
  // The consumer's checkpoint: transactions with end_lsn <= resume_after were
  // applied already and are skipped. Also the initial flush position.
  Lsn resume_after = kInvalidLsn;
  absl::Duration status_interval = absl::Seconds(10);
  absl::Duration start_timeout = absl::Seconds(30);
};

class ReplicationStream {
 public:
  // Sends START_REPLICATION on `conn` (a replication=database connection).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReplicationStream>> Start(
      std::unique_ptr<postgres::PgConnection> conn, const StreamOptions& options);

  ~ReplicationStream();

  struct PumpResult {
    int messages = 0;          // XLogData + keepalive messages handled
    bool would_block = false;  // nothing more buffered: wait for the socket
  };

  // Handles up to `max_messages` already-arrived messages without waiting,
  // then sends a status update if one is due.
  [[nodiscard]] absl::StatusOr<PumpResult> Pump(ChangeHandler& handler, int max_messages);

  // Waits for data (at most until `deadline` or the next status update is
  // due), then Pump()s. While data flows in small pieces it waits up to
  // 0.5 ms longer so that one wake-up handles many messages (CPU per row
  // matters more than half a millisecond of latency).
  [[nodiscard]] absl::StatusOr<PumpResult> PollAndPump(ChangeHandler& handler, int max_messages,
                                                       absl::Time deadline);

  // Everything up to the commit with this end_lsn is durable at the sink.
  void ConfirmDurable(Lsn end_lsn);

  // Sends a standby status update if the interval elapsed, the server asked
  // for one, or the flush position advanced (at most once a second).
  [[nodiscard]] absl::Status SendStatusIfDue(absl::Time now);
  [[nodiscard]] absl::Status SendStatus(bool request_reply);

  // Ends the session cleanly: final status, CopyDone, drain, final results.
  // The stream is unusable afterwards.
  [[nodiscard]] absl::Status Close(absl::Duration timeout = absl::Seconds(10));

  absl::Time next_status_time() const;
  int socket() const { return conn_->socket(); }
  bool wants_write() const { return write_pending_; }
  int protocol_version() const { return protocol_version_; }
  Lsn flush_lsn() const { return flush_lsn_; }            // what we report as flushed
  Lsn received_lsn() const { return received_lsn_; }      // highest walEnd seen
  Lsn server_wal_end() const { return server_wal_end_; }  // last keepalive walEnd
  Lsn last_commit_end_lsn() const { return last_commit_end_; }
  bool in_transaction() const { return in_transaction_; }
  bool NothingInFlight() const;
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  ReplicationStream(std::unique_ptr<postgres::PgConnection> conn, const StreamOptions& options,
                    int protocol_version);
  absl::Status HandleXLogData(ChangeHandler& handler, const char* data, int len);
  absl::Status HandleKeepalive(const char* data, int len);
  absl::Status FlushOutput();

  std::unique_ptr<postgres::PgConnection> conn_;
  StreamOptions options_;
  int protocol_version_;
  pgoutput::Decoder decoder_;
  pgoutput::DecodedMessage message_;

  Lsn durable_lsn_;  // consumer-confirmed commit end_lsn
  Lsn flush_lsn_;    // reported flush position (>= durable_lsn_)
  Lsn received_lsn_ = kInvalidLsn;
  Lsn server_wal_end_ = kInvalidLsn;
  Lsn last_commit_end_ = kInvalidLsn;
  bool in_transaction_ = false;
  bool skipping_ = false;  // inside a transaction already applied (before resume_after)
  absl::flat_hash_set<uint32_t> open_streamed_xids_;
  uint64_t bytes_received_ = 0;

  bool write_pending_ = false;
  bool reply_requested_ = false;
  absl::Time last_status_time_ = absl::InfinitePast();
  Lsn last_status_flush_ = kInvalidLsn;
  bool closed_ = false;
  bool last_pump_small_ = false;  // see PollAndPump()
};

}  // namespace dbmazz::replication

#endif  // DBMAZZ_ENGINE_REPLICATION_REPLICATION_STREAM_H_
