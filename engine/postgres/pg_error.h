// Turns libpq failures into absl::Status values the engine can act on.
//
// The status code is the classification (the engine's retry-or-fail rule):
//   kUnavailable        transient: connection refused/lost, server starting or
//                       shutting down, too many connections, slot in use by
//                       another process (55006) — retry with backoff;
//   kNotFound           a missing object: replication slot (42704), table
//                       (42P01), database (3D000), publication;
//   kFailedPrecondition the source is in a state that needs a person: slot
//                       invalidated/lost (55000), wrong wal_level;
//   kUnauthenticated    bad credentials or no pg_hba entry (28P01, 28000);
//   kPermissionDenied   missing privilege (42501);
//   kAlreadyExists      duplicate object (42710);
//   kDeadlineExceeded   our own timeout;
//   kAborted            serialization failure / deadlock (40001, 40P01);
//   kInvalidArgument    bad SQL or data (42601, 22xxx);
//   kInternal           anything else.
// The SQLSTATE, when PostgreSQL sent one, is attached as a payload.
//
// Thread-safety: free functions over the objects passed in.
#ifndef DBMAZZ_ENGINE_POSTGRES_PG_ERROR_H_
#define DBMAZZ_ENGINE_POSTGRES_PG_ERROR_H_

#include <libpq-fe.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::postgres {

// The absl status code for a five-character SQLSTATE.
absl::StatusCode CodeForSqlState(std::string_view sqlstate);

// Status from an error result (PGRES_FATAL_ERROR...). `context` says what was
// being done ("CREATE PUBLICATION", "START_REPLICATION"); never put secrets in it.
[[nodiscard]] absl::Status StatusFromResult(const PGresult* result, std::string_view context);

// Status from a connection-level failure (no PGresult): connect errors, lost
// connections. Classified from PQstatus and libpq's message.
[[nodiscard]] absl::Status StatusFromConnection(PGconn* conn, std::string_view context);

// Builds a status with a SQLSTATE payload (used by the functions above and tests).
[[nodiscard]] absl::Status MakePgStatus(absl::StatusCode code, std::string_view message,
                                        std::string_view sqlstate);

// The SQLSTATE attached to a status, if any.
std::optional<std::string> SqlStateOf(const absl::Status& status);

// True for errors worth retrying with backoff (kUnavailable, kDeadlineExceeded, kAborted).
bool IsTransient(const absl::Status& status);

}  // namespace dbmazz::postgres

#endif  // DBMAZZ_ENGINE_POSTGRES_PG_ERROR_H_
