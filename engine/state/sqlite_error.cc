#include "engine/state/sqlite_error.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::state {

absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return absl::OkStatus();
  // sqlite3_errmsg describes the most recent failure on the connection, which
  // is the one being reported (the caller holds the connection's lock).
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* generic = sqlite3_errstr(rc);
  std::string text =
      std::strcmp(message, generic) == 0
          ? absl::StrCat(AsAbsl(what), ": ", message, " (code ", rc, ")")
          : absl::StrCat(AsAbsl(what), ": ", message, " (", generic, ", code ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(
          absl::StrCat(text,
                       "; the state database is corrupt or not a SQLite database: restore it "
                       "from a backup"));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(text);
    default:
      return absl::InternalError(text);
  }
}

}  // namespace dbmazz::state
