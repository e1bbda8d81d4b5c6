#include "tests/support/pg_sql.h"

#include <libpq-fe.h>

#include <memory>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::testing {
namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

absl::Status MakeStatus(absl::StatusCode code, std::string_view message, std::string_view state) {
  std::string text(AsStd(absl::StripTrailingAsciiWhitespace(AsAbsl(message))));
  if (!state.empty()) absl::StrAppend(&text, " [SQLSTATE ", AsAbsl(state), "]");
  return postgres::MakePgStatus(code, text, state);
}

absl::StatusOr<ConnPtr> Connect(std::string_view dsn) {
  const std::string dsn_copy(dsn);
  // expand_dbname: the DSN's own settings come after (and override) ours.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", dsn_copy.c_str(), nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a PGconn");
  if (PQstatus(conn.get()) == CONNECTION_OK) return conn;
  const std::string message = PQerrorMessage(conn.get());
  if (absl::StrContains(message, "password authentication failed")) {
    return MakeStatus(absl::StatusCode::kUnauthenticated, message, "28P01");
  }
  return MakeStatus(absl::StatusCode::kUnavailable, message, "");
}

absl::StatusOr<ResultPtr> Run(std::string_view dsn, std::string_view sql) {
  absl::StatusOr<ConnPtr> conn = Connect(dsn);
  if (!conn.ok()) return conn.status();
  const std::string sql_copy(sql);
  ResultPtr result(PQexec(conn->get(), sql_copy.c_str()));
  if (result == nullptr) {
    return MakeStatus(absl::StatusCode::kUnavailable, PQerrorMessage(conn->get()), "");
  }
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return result;
    default:
      break;
  }
  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  const std::string state_text = state != nullptr ? state : "";
  const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? primary : PQresultErrorMessage(result.get());
  if (const char* detail = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_DETAIL)) {
    absl::StrAppend(&message, " (", detail, ")");
  }
  if (message.empty()) {
    message = absl::StrCat("unexpected result status ", PQresStatus(PQresultStatus(result.get())));
  }
  return MakeStatus(
      state_text.empty() ? absl::StatusCode::kInternal : postgres::CodeForSqlState(state_text),
      message, state_text);
}

}  // namespace

absl::Status PgExec(std::string_view dsn, std::string_view sql) { return Run(dsn, sql).status(); }

absl::StatusOr<PgRows> PgQuery(std::string_view dsn, std::string_view sql) {
  absl::StatusOr<ResultPtr> result = Run(dsn, sql);
  if (!result.ok()) return result.status();
  PGresult* res = result->get();
  PgRows rows;
  const int n_rows = PQntuples(res);
  const int n_cols = PQnfields(res);
  rows.reserve(n_rows);
  for (int r = 0; r < n_rows; ++r) {
    std::vector<std::optional<std::string>>& row = rows.emplace_back();
    row.reserve(n_cols);
    for (int c = 0; c < n_cols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
  }
  return rows;
}

}  // namespace dbmazz::testing
