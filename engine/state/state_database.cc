#include "engine/state/state_database.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/state/schema.h"

namespace dbmazz::state {
namespace {

absl::Status Annotate(const absl::Status& status, const std::string& context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::Status Configure(SqliteConnection& connection, const StateDatabaseOptions& options) {
  sqlite3_busy_timeout(connection.raw(),
                       static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // The first statement reads the file header: a file that is not a database
  // fails here with SQLITE_NOTADB.
  absl::StatusOr<std::string> journal = connection.QueryText("PRAGMA journal_mode=WAL");
  if (!journal.ok()) return journal.status();
  if (!options.in_memory && *journal != "wal") {
    return absl::InternalError(
        absl::StrCat("could not enable WAL mode (journal_mode is ", *journal, ")"));
  }
  absl::Status status = connection.Exec(
      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; "
      "PRAGMA trusted_schema=OFF;");
  if (!status.ok()) return status;
  // Some pragmas are silently ignored (e.g. inside a transaction); check.
  absl::StatusOr<int64_t> synchronous = connection.QueryInt64("PRAGMA synchronous");
  if (!synchronous.ok()) return synchronous.status();
  absl::StatusOr<int64_t> foreign_keys = connection.QueryInt64("PRAGMA foreign_keys");
  if (!foreign_keys.ok()) return foreign_keys.status();
  if (*synchronous != 2 || *foreign_keys != 1) {
    return absl::InternalError("synchronous=FULL / foreign_keys=ON did not take effect");
  }
  if (options.verify) {
    absl::StatusOr<std::string> check = connection.QueryText("PRAGMA quick_check");
    if (!check.ok()) return check.status();
    if (*check != "ok") {
      return absl::DataLossError(absl::StrCat("integrity check failed (", *check,
                                              "); restore the state database from a backup"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StateDatabase> OpenStateDatabase(const std::string& path,
                                                const StateDatabaseOptions& options) {
  StateDatabase database;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (options.in_memory) {
    flags |= SQLITE_OPEN_MEMORY;
  } else {
    absl::StatusOr<std::unique_ptr<StateFileLock>> lock = StateFileLock::Acquire(path);
    if (!lock.ok()) return lock.status();
    database.lock = *std::move(lock);
    flags |= SQLITE_OPEN_NOFOLLOW;
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
      SqliteConnection::Open(path, flags, options.vfs);
  if (!connection.ok()) return connection.status();
  database.connection = *std::move(connection);
  absl::Status status = Configure(*database.connection, options);
  if (!status.ok()) {
    return Annotate(status, absl::StrCat("opening state database '", path, "'"));
  }
  status = MigrateSchema(*database.connection, CurrentSchemaVersion());
  if (!status.ok()) return status;
  return database;
}

}  // namespace dbmazz::state
