// SQLite result codes as absl::Status values.
//
// Thread-safety: free functions; `db` must be used by one thread at a time
// (the caller's lock), since the message is read from the connection.
#ifndef DBMAZZ_ENGINE_STATE_SQLITE_ERROR_H_
#define DBMAZZ_ENGINE_STATE_SQLITE_ERROR_H_

#include <sqlite3.h>

#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::state {

// The status for result code `rc` (SQLITE_OK gives OkStatus):
//   SQLITE_CORRUPT, SQLITE_NOTADB   → kDataLoss (the file is damaged or not a database)
//   SQLITE_BUSY, SQLITE_LOCKED      → kUnavailable (another connection holds a lock; retryable)
//   SQLITE_FULL                     → kResourceExhausted (disk full)
//   anything else                   → kInternal
// The message is "<what>: <SQLite's message> (<code name>)". `db` may be null,
// then SQLite's generic text for the code is used.
[[nodiscard]] absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// True for SQLITE_CONSTRAINT_* codes (extended or primary).
inline bool IsConstraintError(int rc) { return (rc & 0xff) == SQLITE_CONSTRAINT; }

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_SQLITE_ERROR_H_
