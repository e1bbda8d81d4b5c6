// Drops what a pipeline created on its source: the replication slot and the
// publication. Used when a pipeline is deleted and when an initial_only
// snapshot completes.
//
// Thread-safety: a blocking free function for an admin thread; bounded by
// the connect timeout and, for a slot still held by a closing walsender, a
// 30 s retry window. Errors: libpq errors (pg_error.h); a missing slot is
// not an error.
#ifndef DBMAZZ_ENGINE_RUNTIME_SOURCE_CLEANUP_H_
#define DBMAZZ_ENGINE_RUNTIME_SOURCE_CLEANUP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace dbmazz::runtime {

struct SourceObjects {
  std::string dsn;  // secret: never log it
  std::string slot_name;
  std::string publication_name;
  bool drop_slot = false;
  bool drop_publication = false;
};

[[nodiscard]] absl::Status DropSourceObjects(const SourceObjects& objects,
                                             absl::Duration connect_timeout);

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_SOURCE_CLEANUP_H_
