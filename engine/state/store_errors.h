// Small helpers shared by the StateStore implementation files: argument
// checks and the translation of SQLite write failures. Internal to
// engine/state.
//
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_STATE_STORE_ERRORS_H_
#define DBMAZZ_ENGINE_STATE_STORE_ERRORS_H_

#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/common/lsn.h"
#include "engine/state/sqlite_error.h"
#include "engine/state/sqlite_statement.h"

namespace dbmazz::state {

constexpr int64_t kMaxStoredLsn = std::numeric_limits<int64_t>::max();

inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(AsAbsl(context), ": ", status.message()));
}

inline absl::Status RequireNonEmpty(std::string_view value, std::string_view what) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " must not be empty"));
}

inline absl::Status CheckLsn(Lsn lsn) {
  if (lsn <= static_cast<Lsn>(kMaxStoredLsn)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("LSN ", FormatLsn(lsn), " is above the largest storable LSN 7FFFFFFF/FFFFFFFF"));
}

inline absl::Status UnknownPipeline(std::string_view pipeline_id) {
  return absl::NotFoundError(absl::StrCat("unknown pipeline '", AsAbsl(pipeline_id), "'"));
}

// A failed write: a foreign-key violation means the referenced pipeline (or
// snapshot table) does not exist.
inline absl::Status WriteError(const Statement& stmt, absl::Status status,
                               const absl::Status& missing_parent) {
  if (stmt.last_error_code() == SQLITE_CONSTRAINT_FOREIGNKEY) return missing_parent;
  return status;
}

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_STORE_ERRORS_H_
