// An owned libpq connection whose every wait is bounded.
//
// Connect() and Exec() use libpq's asynchronous API and poll() with a
// deadline: no call blocks longer than the timeout it is given. A timed-out
// query is cancelled on the server.
//
// Ownership: owns the PGconn (PQfinish on destruction).
// Thread-safety: one thread at a time (libpq connections are not thread-safe).
// Errors: see pg_error.h for the status codes.
#ifndef DBMAZZ_ENGINE_POSTGRES_PG_CONNECTION_H_
#define DBMAZZ_ENGINE_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbmazz::postgres {

// A PGresult with its PQclear.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}

  const PGresult* get() const { return result_.get(); }
  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  int columns() const { return result_ ? PQnfields(result_.get()) : 0; }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The text value; "" for NULL.
  std::string_view Get(int row, int column) const {
    return std::string_view(PQgetvalue(result_.get(), row, column),
                            PQgetlength(result_.get(), row, column));
  }
  std::optional<std::string> GetOptional(int row, int column) const {
    if (IsNull(row, column)) return std::nullopt;
    return std::string(Get(row, column));
  }

 private:
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> result_;
};

struct ConnectOptions {
  // Open a logical replication connection (replication=database).
  bool replication = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  std::string application_name = "dbmazz";
  // Session settings that make text output stable for the sink: ISO dates,
  // UTC timestamps, round-trip floats, UTF-8.
  bool canonical_session = true;
};

class PgConnection {
 public:
  // Connects to `dsn` (a conninfo string or postgresql:// URI). Settings in
  // `options` override the DSN's. Errors: kInvalidArgument (unparseable DSN),
  // kUnavailable (unreachable, timeout → kDeadlineExceeded), kUnauthenticated,
  // kNotFound (database), kPermissionDenied (no REPLICATION privilege).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      std::string_view dsn, const ConnectOptions& options);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one simple-protocol query (several statements allowed; the last
  // result is returned) and waits at most `timeout`; on timeout the query is
  // cancelled and kDeadlineExceeded returned. Error results become statuses.
  [[nodiscard]] absl::StatusOr<PgResult> Exec(std::string_view sql,
                                              absl::Duration timeout = absl::Seconds(30));

  // Sends a query that is expected to switch the connection to COPY BOTH
  // (START_REPLICATION); returns once the server has accepted it.
  [[nodiscard]] absl::Status StartCopyBoth(std::string_view command, absl::Duration timeout);

  // Waits until the socket is readable (and/or writable) or the deadline passes.
  // Returns false on timeout. Errors: kUnavailable if poll fails.
  [[nodiscard]] absl::StatusOr<bool> WaitSocket(bool for_read, bool for_write, absl::Time deadline);

  PGconn* raw() { return conn_; }
  int socket() const { return PQsocket(conn_); }
  int server_version() const { return PQserverVersion(conn_); }
  // DSN with any password removed, for messages and logs.
  const std::string& redacted_dsn() const { return redacted_dsn_; }

 private:
  PgConnection(PGconn* conn, std::string redacted_dsn)
      : conn_(conn), redacted_dsn_(std::move(redacted_dsn)) {}
  void Cancel();

  PGconn* conn_;
  std::string redacted_dsn_;
};

// A conninfo value: 'value' with \ and ' backslash-escaped.
std::string QuoteConninfoValue(std::string_view value);

// The DSN with password=... removed (conninfo or URI form). Unparseable input
// gives "<unparseable DSN>" so nothing secret can leak through an error.
std::string RedactDsn(std::string_view dsn);

}  // namespace dbmazz::postgres

#endif  // DBMAZZ_ENGINE_POSTGRES_PG_CONNECTION_H_
