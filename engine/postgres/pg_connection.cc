#include "engine/postgres/pg_connection.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/pg_error.h"

namespace dbmazz::postgres {
namespace {

constexpr char kCanonicalOptions[] =
    "-c datestyle=ISO,MDY -c intervalstyle=postgres -c timezone=UTC -c extra_float_digits=3 "
    "-c bytea_output=hex";

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

absl::StatusOr<ConninfoPtr> ParseConninfo(std::string_view dsn) {
  std::string copy(dsn);
  char* err = nullptr;
  ConninfoPtr parsed(PQconninfoParse(copy.c_str(), &err));
  if (!parsed) {
    std::string message = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    // libpq's message may quote the offending fragment; it never includes the
    // password value itself unless the password is what failed to parse.
    return absl::InvalidArgumentError(absl::StrCat("invalid PostgreSQL DSN: ", message));
  }
  return parsed;
}

int MillisUntil(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(left) + 1;
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

}  // namespace

std::string QuoteConninfoValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string RedactDsn(std::string_view dsn) {
  auto parsed = ParseConninfo(dsn);
  if (!parsed.ok()) return "<unparseable DSN>";
  std::string out;
  for (PQconninfoOption* o = parsed->get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::strcmp(o->keyword, "password") == 0) continue;
    if (!out.empty()) out.push_back(' ');
    absl::StrAppend(&out, o->keyword, "=", QuoteConninfoValue(o->val));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(std::string_view dsn,
                                                                    const ConnectOptions& options) {
  auto parsed = ParseConninfo(dsn);
  if (!parsed.ok()) return parsed.status();
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  std::string user_options;
  for (PQconninfoOption* o = parsed->get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k = o->keyword;
    if (k == "replication" || k == "application_name" || k == "client_encoding") continue;
    if (k == "options") {
      user_options = o->val;
      continue;
    }
    keywords.push_back(o->keyword);
    values.push_back(o->val);
  }
  std::string all_options = user_options;
  if (options.canonical_session) {
    if (!all_options.empty()) all_options.push_back(' ');
    all_options += kCanonicalOptions;
  }
  if (!all_options.empty()) {
    keywords.push_back("options");
    values.push_back(all_options.c_str());
  }
  keywords.push_back("client_encoding");
  values.push_back("UTF8");
  keywords.push_back("application_name");
  values.push_back(options.application_name.c_str());
  if (options.replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  std::string redacted = RedactDsn(dsn);
  PGconn* raw = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (raw == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  std::unique_ptr<PgConnection> conn(new PgConnection(raw, std::move(redacted)));
  if (PQstatus(raw) == CONNECTION_BAD) return StatusFromConnection(raw, "connect");

  absl::Time deadline = absl::Now() + options.connect_timeout;
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (true) {
    if (poll_status == PGRES_POLLING_OK) break;
    if (poll_status == PGRES_POLLING_FAILED) return StatusFromConnection(raw, "connect");
    auto ready = conn->WaitSocket(poll_status == PGRES_POLLING_READING,
                                  poll_status == PGRES_POLLING_WRITING, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) {
      return absl::DeadlineExceededError(absl::StrCat("connect: timed out after ",
                                                      absl::FormatDuration(options.connect_timeout),
                                                      " (", conn->redacted_dsn(), ")"));
    }
    poll_status = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0) return StatusFromConnection(raw, "set non-blocking");
  return conn;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::StatusOr<bool> PgConnection::WaitSocket(bool for_read, bool for_write, absl::Time deadline) {
  int fd = PQsocket(conn_);
  if (fd < 0) return absl::UnavailableError("connection has no socket (closed)");
  pollfd p{fd, static_cast<short>((for_read ? POLLIN : 0) | (for_write ? POLLOUT : 0)), 0};
  while (true) {
    int n = ::poll(&p, 1, MillisUntil(deadline));
    if (n > 0) return true;
    if (n == 0) {
      if (absl::Now() >= deadline) return false;
      continue;
    }
    if (errno == EINTR) continue;
    return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
  }
}

void PgConnection::Cancel() {
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr) return;
  char err[256];
  PQcancel(cancel, err, sizeof(err));  // best effort; bounded by the server's answer
  PQfreeCancel(cancel);
}

absl::StatusOr<PgResult> PgConnection::Exec(std::string_view sql, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string query(sql);
  if (PQsendQuery(conn_, query.c_str()) == 0) return StatusFromConnection(conn_, "send query");
  // Flush the query out.
  while (true) {
    int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) return StatusFromConnection(conn_, "send query");
    auto ready = WaitSocket(true, true, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) {
      Cancel();
      return absl::DeadlineExceededError("query timed out while sending");
    }
    if (PQconsumeInput(conn_) == 0) return StatusFromConnection(conn_, "query");
  }
  PgResult last;
  absl::Status error = absl::OkStatus();
  while (true) {
    while (PQisBusy(conn_)) {
      auto ready = WaitSocket(true, false, deadline);
      if (!ready.ok()) return ready.status();
      if (!*ready) {
        Cancel();
        // Drain what the cancel produces so the connection stays usable.
        absl::Time drain_deadline = absl::Now() + absl::Seconds(5);
        while (PQisBusy(conn_) && absl::Now() < drain_deadline) {
          if (!WaitSocket(true, false, drain_deadline).value_or(false)) break;
          if (PQconsumeInput(conn_) == 0) break;
        }
        while (!PQisBusy(conn_)) {
          PGresult* r = PQgetResult(conn_);
          if (r == nullptr) break;
          PQclear(r);
        }
        return absl::DeadlineExceededError(
            absl::StrCat("query timed out after ", absl::FormatDuration(timeout)));
      }
      if (PQconsumeInput(conn_) == 0) return StatusFromConnection(conn_, "query");
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    PgResult result(r);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COPY_BOTH || st == PGRES_COPY_OUT || st == PGRES_COPY_IN) {
      return absl::InternalError("Exec: query started COPY; use the copy APIs");
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      if (error.ok()) error = StatusFromResult(r, "query");
      continue;
    }
    last = std::move(result);
  }
  if (!error.ok()) return error;
  return last;
}

absl::Status PgConnection::StartCopyBoth(std::string_view command, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string query(command);
  if (PQsendQuery(conn_, query.c_str()) == 0)
    return StatusFromConnection(conn_, "START_REPLICATION");
  while (true) {
    int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) return StatusFromConnection(conn_, "START_REPLICATION");
    auto ready = WaitSocket(true, true, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) return absl::DeadlineExceededError("START_REPLICATION: timed out sending");
    if (PQconsumeInput(conn_) == 0) return StatusFromConnection(conn_, "START_REPLICATION");
  }
  while (PQisBusy(conn_)) {
    auto ready = WaitSocket(true, false, deadline);
    if (!ready.ok()) return ready.status();
    if (!*ready) {
      return absl::DeadlineExceededError(
          absl::StrCat("START_REPLICATION: no answer within ", absl::FormatDuration(timeout)));
    }
    if (PQconsumeInput(conn_) == 0) return StatusFromConnection(conn_, "START_REPLICATION");
  }
  PgResult result(PQgetResult(conn_));
  if (result.get() == nullptr) return StatusFromConnection(conn_, "START_REPLICATION");
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) {
    absl::Status status = StatusFromResult(result.get(), "START_REPLICATION");
    // Drain remaining results so the connection is clean.
    while (!PQisBusy(conn_)) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) break;
      PQclear(r);
    }
    return status;
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::postgres
