// A borrowed, cached SQLite prepared statement for one execution.
//
// SqliteConnection::Prepare hands out a Statement; the sqlite3_stmt itself
// stays in the connection's cache. Destroying the Statement resets it and
// clears its bindings so the next user starts clean.
//
// Ownership: borrows the statement and the connection; must not outlive the
// SqliteConnection that produced it.
// Thread-safety: the connection's (one thread at a time, under the caller's lock).
// Errors: Step/Run return SqliteStatus(...) codes (see sqlite_error.h); a
// failed Bind* is remembered and returned by the next Step/Run.
#ifndef DBMAZZ_ENGINE_STATE_SQLITE_STATEMENT_H_
#define DBMAZZ_ENGINE_STATE_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbmazz::state {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1 (?1, ?2, ...). Text is copied.
  void BindInt64(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindOptionalText(int index, const std::optional<std::string>& value);
  void BindBool(int index, bool value) { BindInt64(index, value ? 1 : 0); }

  // Advances: true when a row is available, false when the statement is done.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Steps to completion, ignoring any rows.
  [[nodiscard]] absl::Status Run();
  // The constraint-violation code of the last failed Step/Run, 0 otherwise
  // (lets callers turn SQLITE_CONSTRAINT_* into kAlreadyExists / kNotFound).
  int last_error_code() const { return last_error_code_; }

  // Column accessors for the current row (0-based columns).
  int64_t ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool ColumnBool(int column) const { return ColumnInt64(column) != 0; }
  bool ColumnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
  int last_error_code_ = 0;
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_SQLITE_STATEMENT_H_
