// Catalog checks and setup on the source database over a regular (non
// replication) connection: server prerequisites, table descriptions, the
// pipeline's publication, and replication-slot inspection and removal.
//
// Every name is quoted (identifiers.h) or passed as a quoted literal, so
// hostile table, publication or slot names cannot inject SQL.
//
// Ownership: borrows the connection, which must outlive this object.
// Thread-safety: one thread at a time (as the connection).
// Errors: see pg_error.h; missing objects are kNotFound with the name.
#ifndef DBMAZZ_ENGINE_POSTGRES_SOURCE_ADMIN_H_
#define DBMAZZ_ENGINE_POSTGRES_SOURCE_ADMIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/common/lsn.h"
#include "engine/postgres/identifiers.h"
#include "engine/postgres/pg_connection.h"

namespace dbmazz::postgres {

struct ServerInfo {
  int version_num = 0;  // e.g. 150018
  std::string wal_level;
  bool is_superuser = false;
  bool has_replication = false;  // rolreplication or superuser
  int max_replication_slots = 0;
  int max_wal_senders = 0;
  bool standard_conforming_strings = true;
};

struct ColumnInfo {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  std::string type_name;  // format_type(): "numeric(12,2)", "character varying(20)", ...
  bool not_null = false;
};

struct TableInfo {
  TableName name;
  uint32_t oid = 0;
  char relkind = 'r';                    // r table, p partitioned table
  char replica_identity = 'd';           // d default (PK), n nothing, f full, i index
  std::vector<ColumnInfo> columns;       // in attnum order, dropped columns excluded
  std::vector<std::string> primary_key;  // in key order; empty when there is none
  // True when UPDATE/DELETE can be replicated with enough identity for a
  // primary-key sink: a primary key (DEFAULT identity), or REPLICA IDENTITY FULL.
  bool HasUsableIdentity() const;
};

struct SlotInfo {
  std::string name;
  std::string plugin;
  std::string slot_type;  // "logical" / "physical"
  std::string database;
  bool active = false;
  std::optional<int> active_pid;
  Lsn restart_lsn = kInvalidLsn;
  Lsn confirmed_flush_lsn = kInvalidLsn;
  std::string wal_status;  // reserved/extended/unreserved/lost ("" before PG13)
  bool two_phase = false;
};

// kFailedPrecondition, saying what to do, unless `slot` is a logical
// pgoutput slot whose WAL is still there (wal_status != lost).
[[nodiscard]] absl::Status CheckSlotUsable(const SlotInfo& slot);
// The error for a slot the pipeline has a position in that no longer exists
// (it is never recreated: changes since the checkpoint would be skipped).
[[nodiscard]] absl::Status SlotVanishedError(std::string_view slot_name);

class SourceAdmin {
 public:
  explicit SourceAdmin(PgConnection* conn) : conn_(conn) {}

  [[nodiscard]] absl::StatusOr<ServerInfo> GetServerInfo();

  // kNotFound when the table does not exist (or is not a table).
  [[nodiscard]] absl::StatusOr<TableInfo> DescribeTable(const TableName& table);

  // Creates `publication` FOR TABLE tables (publishing insert, update, delete,
  // truncate) if it does not exist; if it exists, adds the tables it lacks.
  // Returns true when the publication was created.
  [[nodiscard]] absl::StatusOr<bool> EnsurePublication(std::string_view publication,
                                                       const std::vector<TableName>& tables);

  // The tables of a publication; kNotFound if it does not exist.
  [[nodiscard]] absl::StatusOr<std::vector<TableName>> PublicationTables(
      std::string_view publication);

  // Drops the publication if it exists.
  [[nodiscard]] absl::Status DropPublication(std::string_view publication);

  // nullopt when there is no such slot.
  [[nodiscard]] absl::StatusOr<std::optional<SlotInfo>> GetSlot(std::string_view slot);
  // Every slot of the server (one query, for monitoring many pipelines).
  [[nodiscard]] absl::StatusOr<std::vector<SlotInfo>> ListSlots();

  // Drops the slot. kUnavailable (55006) while a connection uses it,
  // kNotFound if missing.
  [[nodiscard]] absl::Status DropSlot(std::string_view slot);

  [[nodiscard]] absl::StatusOr<Lsn> CurrentWalLsn();

 private:
  absl::StatusOr<std::vector<SlotInfo>> QuerySlots(std::string_view where);
  PgConnection* conn_;
};

}  // namespace dbmazz::postgres

#endif  // DBMAZZ_ENGINE_POSTGRES_SOURCE_ADMIN_H_
