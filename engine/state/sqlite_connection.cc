#include "engine/state/sqlite_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/state/sqlite_error.h"

namespace dbmazz::state {

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                         int flags,
                                                                         const std::string& vfs) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteStatus(rc, db, absl::StrCat("opening state database '", path, "'"));
    sqlite3_close_v2(db);  // a handle is returned even on most failures
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() {
  statements_.clear();  // finalize before closing
  sqlite3_close_v2(db_);
}

absl::StatusOr<sqlite3_stmt*> SqliteConnection::Compile(const std::string& sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, &tail);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_, absl::StrCat("preparing \"", sql, "\""));
  }
  if (stmt == nullptr) {
    return absl::InternalError(absl::StrCat("preparing \"", sql, "\": no statement"));
  }
  return stmt;
}

absl::StatusOr<Statement> SqliteConnection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    absl::StatusOr<sqlite3_stmt*> stmt = Compile(key, SQLITE_PREPARE_PERSISTENT);
    if (!stmt.ok()) return stmt.status();
    it = statements_.emplace(std::move(key), *stmt).first;
  } else if (sqlite3_stmt_busy(it->second.get())) {
    return absl::InternalError(
        absl::StrCat("statement \"", AsAbsl(sql), "\" is already in use (re-entrant use)"));
  }
  return Statement(db_, it->second.get());
}

absl::Status SqliteConnection::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  // sqlite3_errmsg still holds the failure's text; the copy in `error` is not needed.
  sqlite3_free(error);
  constexpr size_t kShown = 80;
  return SqliteStatus(
      rc, db_,
      absl::StrCat("running \"", sql.substr(0, kShown), sql.size() > kShown ? "...\"" : "\""));
}

absl::StatusOr<int64_t> SqliteConnection::QueryInt64(const std::string& sql) {
  absl::StatusOr<sqlite3_stmt*> compiled = Compile(sql, 0);
  if (!compiled.ok()) return compiled.status();
  std::unique_ptr<sqlite3_stmt, Finalizer> owner(*compiled);
  Statement stmt(db_, owner.get());
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat("\"", sql, "\" returned no row"));
  return stmt.ColumnInt64(0);
}

absl::StatusOr<std::string> SqliteConnection::QueryText(const std::string& sql) {
  absl::StatusOr<sqlite3_stmt*> compiled = Compile(sql, 0);
  if (!compiled.ok()) return compiled.status();
  std::unique_ptr<sqlite3_stmt, Finalizer> owner(*compiled);
  Statement stmt(db_, owner.get());
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat("\"", sql, "\" returned no row"));
  return stmt.ColumnText(0);
}

}  // namespace dbmazz::state
