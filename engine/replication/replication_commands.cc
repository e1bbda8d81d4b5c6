#include "engine/replication/replication_commands.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/identifiers.h"

namespace dbmazz::replication {

using postgres::QuoteIdentifier;
using postgres::QuoteLiteral;

absl::StatusOr<SystemIdentity> IdentifySystem(postgres::PgConnection& conn) {
  auto r = conn.Exec("IDENTIFY_SYSTEM");
  if (!r.ok()) return r.status();
  if (r->rows() != 1 || r->columns() < 4) {
    return absl::InternalError("IDENTIFY_SYSTEM: unexpected result shape");
  }
  SystemIdentity id;
  id.system_id = std::string(r->Get(0, 0));
  id.timeline = std::atoi(std::string(r->Get(0, 1)).c_str());
  auto pos = ParseLsn(r->Get(0, 2));
  if (!pos.ok()) return pos.status();
  id.xlog_pos = *pos;
  id.database = std::string(r->Get(0, 3));
  return id;
}

absl::StatusOr<CreatedSlot> CreateLogicalSlot(postgres::PgConnection& conn,
                                              std::string_view slot_name, SnapshotAction snapshot) {
  if (absl::Status s = postgres::ValidateSlotName(slot_name); !s.ok()) return s;
  std::string command =
      absl::StrCat("CREATE_REPLICATION_SLOT ", QuoteIdentifier(slot_name), " LOGICAL pgoutput");
  bool exported = snapshot == SnapshotAction::kExport;
  if (conn.server_version() >= 150000) {
    absl::StrAppend(&command, exported ? " (SNAPSHOT 'export')" : " (SNAPSHOT 'nothing')");
  } else {
    absl::StrAppend(&command, exported ? " EXPORT_SNAPSHOT" : " NOEXPORT_SNAPSHOT");
  }
  // Creating a slot waits for running transactions to finish: allow time.
  auto r = conn.Exec(command, absl::Minutes(5));
  if (!r.ok()) return r.status();
  if (r->rows() != 1 || r->columns() < 4) {
    return absl::InternalError("CREATE_REPLICATION_SLOT: unexpected result shape");
  }
  CreatedSlot slot;
  slot.slot_name = std::string(r->Get(0, 0));
  auto point = ParseLsn(r->Get(0, 1));
  if (!point.ok()) return point.status();
  slot.consistent_point = *point;
  if (!r->IsNull(0, 2)) slot.snapshot_name = std::string(r->Get(0, 2));
  return slot;
}

int DefaultProtocolVersion(int server_version_num) {
  if (server_version_num >= 160000) return 4;
  if (server_version_num >= 150000) return 3;
  if (server_version_num >= 140000) return 2;
  return 1;
}

absl::StatusOr<std::string> BuildStartReplicationCommand(const StartOptions& options,
                                                         int server_version_num) {
  if (absl::Status s = postgres::ValidateSlotName(options.slot_name); !s.ok()) return s;
  if (options.publications.empty()) {
    return absl::InvalidArgumentError("START_REPLICATION needs at least one publication");
  }
  if (server_version_num < 100000) {
    return absl::FailedPreconditionError("logical replication with pgoutput needs PostgreSQL 10+");
  }
  int max_version = DefaultProtocolVersion(server_version_num);
  int version = options.protocol_version == 0 ? max_version : options.protocol_version;
  if (version < 1 || version > max_version) {
    return absl::InvalidArgumentError(absl::StrCat(
        "protocol version ", version, " is not supported by server version ", server_version_num));
  }
  std::vector<std::string> pubs;
  for (const std::string& p : options.publications) {
    if (absl::Status s = postgres::ValidateIdentifier("publication name", p); !s.ok()) return s;
    pubs.push_back(QuoteIdentifier(p));
  }
  std::string command =
      absl::StrCat("START_REPLICATION SLOT ", QuoteIdentifier(options.slot_name), " LOGICAL ",
                   FormatLsn(options.start_lsn), " (proto_version '", version,
                   "', publication_names ", QuoteLiteral(absl::StrJoin(pubs, ",")));
  if (server_version_num >= 140000) {
    if (options.binary) absl::StrAppend(&command, ", binary 'true'");
    if (options.messages) absl::StrAppend(&command, ", messages 'true'");
  } else if (options.binary) {
    return absl::InvalidArgumentError("binary mode needs PostgreSQL 14+");
  }
  absl::StrAppend(&command, ")");
  return command;
}

}  // namespace dbmazz::replication
