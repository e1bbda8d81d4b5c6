// An owned SQLite connection with a cache of persistent prepared statements.
//
// Ownership: owns the sqlite3 handle and every cached statement (finalized,
// then the handle closed, on destruction).
// Thread-safety: none; the owner serializes all use (StateStore holds a mutex).
// Errors: SqliteStatus codes (sqlite_error.h) with the path in open errors.
#ifndef DBMAZZ_ENGINE_STATE_SQLITE_CONNECTION_H_
#define DBMAZZ_ENGINE_STATE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/state/sqlite_statement.h"

namespace dbmazz::state {

class SqliteConnection {
 public:
  // sqlite3_open_v2(path, flags, vfs); `vfs` empty means SQLite's default.
  // Extended result codes are turned on.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, int flags, const std::string& vfs);

  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // A cached statement for `sql` (one statement), compiled once with
  // SQLITE_PREPARE_PERSISTENT. `sql` is the cache key, so pass constants.
  // A statement is not re-entrant: preparing the same SQL while an earlier
  // Statement for it is still stepping gives kInternal.
  [[nodiscard]] absl::StatusOr<Statement> Prepare(std::string_view sql);

  // Runs one or more uncached statements (DDL, pragmas), discarding rows.
  [[nodiscard]] absl::Status Exec(const std::string& sql);
  // Runs one uncached statement and returns the first column of its first
  // row. kInternal if it returns no row.
  [[nodiscard]] absl::StatusOr<int64_t> QueryInt64(const std::string& sql);
  [[nodiscard]] absl::StatusOr<std::string> QueryText(const std::string& sql);

  // True while a transaction is open.
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // Compiles one uncached statement; the caller finalizes it.
  [[nodiscard]] absl::StatusOr<sqlite3_stmt*> Compile(const std::string& sql, unsigned flags);

  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, Finalizer>> statements_;
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_SQLITE_CONNECTION_H_
