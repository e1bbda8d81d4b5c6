// The state database schema and its migrations.
//
// The schema version is PRAGMA user_version. Migration N turns a version N-1
// database into version N; each runs in its own transaction together with the
// user_version bump, so a crash leaves the file at N-1 or N, never between.
// Migrations are append-only: once released, a step is never edited.
//
// Thread-safety: free functions on a connection the caller serializes.
#ifndef DBMAZZ_ENGINE_STATE_SCHEMA_H_
#define DBMAZZ_ENGINE_STATE_SCHEMA_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "engine/state/sqlite_connection.h"

namespace dbmazz::state {

// PRAGMA application_id of a dbmazz state database ("dbmz").
inline constexpr int32_t kApplicationId = 0x64626d7a;

// The SQL of every migration; element i produces schema version i + 1.
[[nodiscard]] std::span<const std::string_view> Migrations();

// The schema version this build writes (= Migrations().size()).
[[nodiscard]] int CurrentSchemaVersion();

// Brings the database up to `target_version` (CurrentSchemaVersion() unless
// testing). Errors:
//   kFailedPrecondition — the file's version is newer than this build knows,
//     its application_id is not dbmazz's, or it has tables but no version
//     (some other application's database);
//   SqliteStatus codes if a step fails (that step is rolled back).
[[nodiscard]] absl::Status MigrateSchema(SqliteConnection& connection, int target_version);

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_SCHEMA_H_
