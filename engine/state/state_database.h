// Opens the SQLite database behind a StateStore and configures it:
// journal_mode=WAL, synchronous=FULL (every commit fsyncs the WAL),
// foreign_keys=ON, secure_delete=ON (deleted secrets are zeroed, not left in
// free pages), trusted_schema=OFF, a busy timeout; then optionally PRAGMA
// quick_check, then the schema migrations (schema.h).
//
// Ownership: the returned struct owns the file lock and the connection.
// Thread-safety: free function; the result is used under the StateStore's lock.
// Errors: those of StateFileLock::Acquire, SqliteStatus codes (kDataLoss for a
// corrupt file or one that is not a database), MigrateSchema's.
#ifndef DBMAZZ_ENGINE_STATE_STATE_DATABASE_H_
#define DBMAZZ_ENGINE_STATE_STATE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/state/sqlite_connection.h"
#include "engine/state/state_file_lock.h"

namespace dbmazz::state {

struct StateDatabaseOptions {
  bool in_memory = false;  // SQLite ":memory:"; no file, no lock, no WAL
  std::string vfs;         // empty: SQLite's default
  absl::Duration busy_timeout = absl::Seconds(5);
  bool verify = true;  // PRAGMA quick_check
};

struct StateDatabase {
  // Declared first so it is destroyed last: the file lock's descriptor may be
  // closed only once SQLite has closed the database.
  std::unique_ptr<StateFileLock> lock;  // null in memory
  std::unique_ptr<SqliteConnection> connection;
};

[[nodiscard]] absl::StatusOr<StateDatabase> OpenStateDatabase(const std::string& path,
                                                              const StateDatabaseOptions& options);

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_STATE_DATABASE_H_
