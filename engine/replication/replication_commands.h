// Replication-protocol commands sent on a replication=database connection:
// IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT and the START_REPLICATION text.
//
// Thread-safety: free functions over the borrowed connection.
// Errors: see engine/postgres/pg_error.h (slot exists → kAlreadyExists).
#ifndef DBMAZZ_ENGINE_REPLICATION_REPLICATION_COMMANDS_H_
#define DBMAZZ_ENGINE_REPLICATION_REPLICATION_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/common/lsn.h"
#include "engine/postgres/pg_connection.h"

namespace dbmazz::replication {

struct SystemIdentity {
  std::string system_id;  // the cluster's unique id: a different value means another cluster
  int timeline = 0;
  Lsn xlog_pos = kInvalidLsn;
  std::string database;
};

[[nodiscard]] absl::StatusOr<SystemIdentity> IdentifySystem(postgres::PgConnection& conn);

enum class SnapshotAction {
  kNothing,  // no snapshot (stream only changes from now on)
  kExport,   // export a snapshot for a consistent initial copy on other connections
};

struct CreatedSlot {
  std::string slot_name;
  Lsn consistent_point = kInvalidLsn;
  std::string snapshot_name;  // set with kExport; valid until the next command on `conn`
};

// CREATE_REPLICATION_SLOT name LOGICAL pgoutput, with the syntax the server
// version understands (PG15+ option list, older keywords).
[[nodiscard]] absl::StatusOr<CreatedSlot> CreateLogicalSlot(postgres::PgConnection& conn,
                                                            std::string_view slot_name,
                                                            SnapshotAction snapshot);

struct StartOptions {
  std::string slot_name;
  std::vector<std::string> publications;
  Lsn start_lsn = kInvalidLsn;  // 0/0 = from the slot's confirmed_flush_lsn
  int protocol_version = 0;     // 0 = the highest this code supports for the server
  bool binary = false;
  bool messages = true;  // logical decoding messages (PG14+ only)
};

// The protocol version used for `server_version_num` when none is forced:
// 1 before PG14, 2 on PG14, 3 on PG15, 4 on PG16+.
int DefaultProtocolVersion(int server_version_num);

// START_REPLICATION SLOT ... LOGICAL X/Y (options) for this server version;
// streaming stays off so rows arrive only for committed transactions.
// kInvalidArgument for bad names or options the server cannot accept.
[[nodiscard]] absl::StatusOr<std::string> BuildStartReplicationCommand(const StartOptions& options,
                                                                       int server_version_num);

}  // namespace dbmazz::replication

#endif  // DBMAZZ_ENGINE_REPLICATION_REPLICATION_COMMANDS_H_
