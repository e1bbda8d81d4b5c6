#include "engine/postgres/source_admin.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::postgres {
namespace {

bool ParseBool(std::string_view v) { return v == "t" || v == "on" || v == "true"; }

int ParseInt(std::string_view v) { return std::atoi(std::string(v).c_str()); }

absl::StatusOr<Lsn> ParseOptionalLsn(const PgResult& r, int row, int col) {
  if (r.IsNull(row, col)) return kInvalidLsn;
  return ParseLsn(r.Get(row, col));
}

}  // namespace

bool TableInfo::HasUsableIdentity() const {
  if (replica_identity == 'f') return true;
  if (replica_identity == 'd') return !primary_key.empty();
  return replica_identity == 'i';
}

absl::StatusOr<ServerInfo> SourceAdmin::GetServerInfo() {
  auto r = conn_->Exec(
      "SELECT current_setting('server_version_num'), current_setting('wal_level'), "
      "r.rolsuper, r.rolsuper OR r.rolreplication, "
      "current_setting('max_replication_slots'), current_setting('max_wal_senders'), "
      "current_setting('standard_conforming_strings') "
      "FROM pg_roles r WHERE r.rolname = current_user");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return absl::InternalError("server info: current role not found");
  ServerInfo info;
  info.version_num = ParseInt(r->Get(0, 0));
  info.wal_level = std::string(r->Get(0, 1));
  info.is_superuser = ParseBool(r->Get(0, 2));
  info.has_replication = ParseBool(r->Get(0, 3));
  info.max_replication_slots = ParseInt(r->Get(0, 4));
  info.max_wal_senders = ParseInt(r->Get(0, 5));
  info.standard_conforming_strings = ParseBool(r->Get(0, 6));
  return info;
}

absl::Status CheckSlotUsable(const SlotInfo& slot) {
  if (slot.plugin != "pgoutput" || slot.slot_type != "logical") {
    return absl::FailedPreconditionError(
        absl::StrCat("replication slot \"", slot.name, "\" exists but is not a logical ",
                     "pgoutput slot (plugin \"", slot.plugin, "\")"));
  }
  if (slot.wal_status == "lost") {
    return absl::FailedPreconditionError(absl::StrCat(
        "replication slot \"", slot.name, "\" is lost (wal_status = lost): PostgreSQL ",
        "removed WAL it still needed. Changes since the checkpoint cannot be streamed; "
        "delete the pipeline and create it again with a fresh snapshot"));
  }
  return absl::OkStatus();
}

absl::Status SlotVanishedError(std::string_view slot_name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "replication slot \"", AsAbsl(slot_name), "\" used by this pipeline no longer exists ",
      "(dropped outside dbmazz?). dbmazz will not recreate it, because changes made since ",
      "the last checkpoint would be skipped silently; delete and recreate the pipeline to "
      "resynchronise"));
}

absl::StatusOr<TableInfo> SourceAdmin::DescribeTable(const TableName& table) {
  std::string rel = QuoteLiteral(table.Quoted());
  auto r =
      conn_->Exec(absl::StrCat("SELECT c.oid, c.relkind, c.relreplident FROM pg_class c "
                               "WHERE c.oid = to_regclass(",
                               rel, ") AND c.relkind IN ('r','p')"));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("table ", table.Display(), " does not exist"));
  }
  TableInfo info;
  info.name = table;
  info.oid = static_cast<uint32_t>(std::strtoul(std::string(r->Get(0, 0)).c_str(), nullptr, 10));
  info.relkind = r->Get(0, 1).empty() ? 'r' : r->Get(0, 1)[0];
  info.replica_identity = r->Get(0, 2).empty() ? 'd' : r->Get(0, 2)[0];

  std::string oid = absl::StrCat(info.oid);
  auto cols = conn_->Exec(absl::StrCat(
      "SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod), "
      "a.attnotnull FROM pg_attribute a WHERE a.attrelid = ",
      oid, " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"));
  if (!cols.ok()) return cols.status();
  for (int i = 0; i < cols->rows(); ++i) {
    ColumnInfo c;
    c.name = std::string(cols->Get(i, 0));
    c.type_oid =
        static_cast<uint32_t>(std::strtoul(std::string(cols->Get(i, 1)).c_str(), nullptr, 10));
    c.type_modifier = ParseInt(cols->Get(i, 2));
    c.type_name = std::string(cols->Get(i, 3));
    c.not_null = ParseBool(cols->Get(i, 4));
    info.columns.push_back(std::move(c));
  }
  auto pk = conn_->Exec(
      absl::StrCat("SELECT a.attname FROM pg_index i "
                   "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                   "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                   "WHERE i.indrelid = ",
                   oid, " AND i.indisprimary ORDER BY k.ord"));
  if (!pk.ok()) return pk.status();
  for (int i = 0; i < pk->rows(); ++i) info.primary_key.emplace_back(pk->Get(i, 0));
  return info;
}

absl::StatusOr<bool> SourceAdmin::EnsurePublication(std::string_view publication,
                                                    const std::vector<TableName>& tables) {
  if (absl::Status s = ValidateIdentifier("publication name", publication); !s.ok()) return s;
  if (tables.empty()) return absl::InvalidArgumentError("a publication needs at least one table");
  auto existing = PublicationTables(publication);
  if (existing.ok()) {
    std::vector<std::string> missing;
    for (const TableName& t : tables) {
      bool found = false;
      for (const TableName& e : *existing) found = found || e == t;
      if (!found) missing.push_back(t.Quoted());
    }
    if (!missing.empty()) {
      auto r = conn_->Exec(absl::StrCat("ALTER PUBLICATION ", QuoteIdentifier(publication),
                                        " ADD TABLE ", absl::StrJoin(missing, ", ")));
      if (!r.ok()) return r.status();
    }
    return false;
  }
  if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  std::vector<std::string> quoted;
  for (const TableName& t : tables) quoted.push_back(t.Quoted());
  auto r = conn_->Exec(absl::StrCat("CREATE PUBLICATION ", QuoteIdentifier(publication),
                                    " FOR TABLE ", absl::StrJoin(quoted, ", "),
                                    " WITH (publish = 'insert, update, delete, truncate')"));
  if (!r.ok()) return r.status();
  return true;
}

absl::StatusOr<std::vector<TableName>> SourceAdmin::PublicationTables(
    std::string_view publication) {
  std::string lit = QuoteLiteral(publication);
  auto p = conn_->Exec(absl::StrCat("SELECT 1 FROM pg_publication WHERE pubname = ", lit));
  if (!p.ok()) return p.status();
  if (p->rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("publication \"", AsAbsl(publication), "\" does not exist"));
  }
  auto r = conn_->Exec(
      absl::StrCat("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ", lit,
                   " ORDER BY 1, 2"));
  if (!r.ok()) return r.status();
  std::vector<TableName> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(TableName{std::string(r->Get(i, 0)), std::string(r->Get(i, 1))});
  }
  return out;
}

absl::Status SourceAdmin::DropPublication(std::string_view publication) {
  if (absl::Status s = ValidateIdentifier("publication name", publication); !s.ok()) return s;
  return conn_->Exec(absl::StrCat("DROP PUBLICATION IF EXISTS ", QuoteIdentifier(publication)))
      .status();
}

absl::StatusOr<std::vector<SlotInfo>> SourceAdmin::QuerySlots(std::string_view where) {
  bool has_wal_status = conn_->server_version() >= 130000;
  auto r = conn_->Exec(absl::StrCat(
      "SELECT slot_name, coalesce(plugin, ''), slot_type, coalesce(database::text, ''), active, "
      "active_pid, restart_lsn, confirmed_flush_lsn, ",
      has_wal_status ? "coalesce(wal_status, '')" : "''", ", ",
      conn_->server_version() >= 140000 ? "two_phase" : "false", " FROM pg_replication_slots",
      AsAbsl(where)));
  if (!r.ok()) return r.status();
  std::vector<SlotInfo> slots;
  for (int row = 0; row < r->rows(); ++row) {
    SlotInfo s;
    s.name = std::string(r->Get(row, 0));
    s.plugin = std::string(r->Get(row, 1));
    s.slot_type = std::string(r->Get(row, 2));
    s.database = std::string(r->Get(row, 3));
    s.active = ParseBool(r->Get(row, 4));
    if (!r->IsNull(row, 5)) s.active_pid = ParseInt(r->Get(row, 5));
    auto restart = ParseOptionalLsn(*r, row, 6);
    if (!restart.ok()) return restart.status();
    s.restart_lsn = *restart;
    auto confirmed = ParseOptionalLsn(*r, row, 7);
    if (!confirmed.ok()) return confirmed.status();
    s.confirmed_flush_lsn = *confirmed;
    s.wal_status = std::string(r->Get(row, 8));
    s.two_phase = ParseBool(r->Get(row, 9));
    slots.push_back(std::move(s));
  }
  return slots;
}

absl::StatusOr<std::optional<SlotInfo>> SourceAdmin::GetSlot(std::string_view slot) {
  auto slots = QuerySlots(absl::StrCat(" WHERE slot_name = ", QuoteLiteral(slot)));
  if (!slots.ok()) return slots.status();
  if (slots->empty()) return std::optional<SlotInfo>();
  return std::optional<SlotInfo>(std::move(slots->front()));
}

absl::StatusOr<std::vector<SlotInfo>> SourceAdmin::ListSlots() { return QuerySlots(""); }

absl::Status SourceAdmin::DropSlot(std::string_view slot) {
  if (absl::Status s = ValidateSlotName(slot); !s.ok()) return s;
  return conn_->Exec(absl::StrCat("SELECT pg_drop_replication_slot(", QuoteLiteral(slot), ")"))
      .status();
}

absl::StatusOr<Lsn> SourceAdmin::CurrentWalLsn() {
  auto r = conn_->Exec("SELECT pg_current_wal_lsn()");
  if (!r.ok()) return r.status();
  return ParseLsn(r->Get(0, 0));
}

}  // namespace dbmazz::postgres
