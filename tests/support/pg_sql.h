// Minimal blocking libpq helpers for tests: run SQL on a fresh connection.
//
// Each call opens its own connection (connect_timeout=10 unless the DSN sets
// one), runs one simple-protocol query string (several statements allowed;
// the last result is the one returned) and closes it.
//
// Errors carry PostgreSQL's message; when the server sent a SQLSTATE it is
// in the message ("[SQLSTATE 42P01]") and attached as the payload
// "dbmazz.dev/sqlstate" (the same one engine/postgres/pg_error.h reads):
//   query errors       → code by SQLSTATE class: 28 kUnauthenticated,
//                        42501 kPermissionDenied, 42P01/42704/3D000 kNotFound,
//                        42P04/42P07/42710 kAlreadyExists, 42/22 kInvalidArgument,
//                        08/57 kUnavailable, 40 kAborted, else kInternal;
//   connection errors  → kUnavailable, or kUnauthenticated with SQLSTATE
//                        28P01 when the server said "password authentication
//                        failed" (libpq exposes no SQLSTATE for failed
//                        connections, so it is read from the message, which
//                        is English because the fixture's server runs with
//                        lc_messages=C).
//
// Thread-safety: free functions; safe to call from several threads.
#ifndef DBMAZZ_TESTS_SUPPORT_PG_SQL_H_
#define DBMAZZ_TESTS_SUPPORT_PG_SQL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/postgres/identifiers.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/pg_error.h"

namespace dbmazz::testing {

// Rows of text values; std::nullopt is SQL NULL.
using PgRows = std::vector<std::vector<std::optional<std::string>>>;

// Runs `sql` on a connection to `dsn`, discarding rows.
[[nodiscard]] absl::Status PgExec(std::string_view dsn, std::string_view sql);

// Runs `sql` and returns the rows of the last result (empty for commands).
[[nodiscard]] absl::StatusOr<PgRows> PgQuery(std::string_view dsn, std::string_view sql);

// Quoting and SQLSTATE helpers come from the engine: tests use the same code.
using postgres::QuoteIdentifier;
using postgres::QuoteLiteral;
inline std::string QuoteConnValue(std::string_view v) { return postgres::QuoteConninfoValue(v); }
inline std::string SqlStateOf(const absl::Status& s) {
  return postgres::SqlStateOf(s).value_or("");
}

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_PG_SQL_H_
