#include "engine/pipeline/source_checker.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::pipeline {
namespace {

using postgres::QuoteIdentifier;
using postgres::QuoteLiteral;
using postgres::TableName;

bool IsTrue(std::string_view value) { return value == "t"; }

int64_t ToInt(std::string_view value) {
  int64_t out = 0;
  return absl::SimpleAtoi(AsAbsl(value), &out) ? out : 0;
}

std::string TableCheck(const TableName& table, std::string_view what) {
  return absl::StrCat("table.", table.Display(), ".", AsAbsl(what));
}

std::string ColumnList(const std::vector<std::string>& columns) {
  return absl::StrCat("(", absl::StrJoin(columns, ", "), ")");
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

CheckResult PassCheck(std::string name, std::string message) {
  return CheckResult{std::move(name), true, std::move(message), absl::StatusCode::kOk};
}

CheckResult FailCheck(std::string name, std::string message, absl::StatusCode code) {
  return CheckResult{std::move(name), false, std::move(message), code};
}

absl::StatusCode CheckCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kInvalidArgument:
      return status.code();
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

std::vector<std::string> SourceCheckNames(const PipelineSpec& spec) {
  std::vector<std::string> names = {"source.wal_level", "source.standard_conforming_strings",
                                    "source.replication_privilege", "source.max_replication_slots",
                                    "source.max_wal_senders"};
  for (const TableSpec& t : spec.tables) {
    names.push_back(TableCheck(t.source, "exists"));
    names.push_back(TableCheck(t.source, "identity"));
    if (spec.snapshot_mode != SnapshotMode::kNever) {
      names.push_back(TableCheck(t.source, "select_privilege"));
    }
  }
  names.push_back("slot.available");
  names.push_back("publication.available");
  return names;
}

absl::Status SourceChecker::LoadState() {
  auto server = admin_.GetServerInfo();
  if (!server.ok()) return server.status();
  state_.server = *server;
  auto r = Query(
      "SELECT current_user, current_database(), "
      "has_database_privilege(current_database(), 'CREATE'), "
      "(SELECT count(*) FROM pg_replication_slots), "
      "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')");
  if (!r.ok()) return r.status();
  state_.user = std::string(r->Get(0, 0));
  state_.database = std::string(r->Get(0, 1));
  state_.can_create_in_database = IsTrue(r->Get(0, 2));
  state_.slots_used = ToInt(r->Get(0, 3));
  state_.wal_senders_used = ToInt(r->Get(0, 4));
  auto slot = admin_.GetSlot(spec_.source.slot_name);
  if (!slot.ok()) return slot.status();
  state_.slot = *slot;
  std::string via_root = conn_->server_version() >= 130000 ? "pubviaroot" : "false";
  auto p = Query(absl::StrCat(
      "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, ", via_root,
      ", pg_get_userbyid(pubowner), pg_has_role(pubowner, 'USAGE') FROM pg_publication "
      "WHERE pubname = ",
      QuoteLiteral(spec_.source.publication_name)));
  if (!p.ok()) return p.status();
  if (p->rows() == 1) {
    SourceState::Publication pub;
    pub.all_tables = IsTrue(p->Get(0, 0));
    pub.insert = IsTrue(p->Get(0, 1));
    pub.update = IsTrue(p->Get(0, 2));
    pub.del = IsTrue(p->Get(0, 3));
    pub.truncate = IsTrue(p->Get(0, 4));
    pub.via_root = IsTrue(p->Get(0, 5));
    pub.owner = std::string(p->Get(0, 6));
    pub.role_has_owner_rights = IsTrue(p->Get(0, 7));
    auto tables = admin_.PublicationTables(spec_.source.publication_name);
    if (!tables.ok()) return tables.status();
    pub.tables = std::move(*tables);
    state_.publication = std::move(pub);
  }
  return absl::OkStatus();
}

void SourceChecker::Run(std::vector<CheckResult>* out) {
  if (absl::Status s = LoadState(); !s.ok()) {
    // The session works but the catalog cannot be read: every check says why.
    std::string message = absl::StrCat("cannot inspect the source: ", s.message());
    for (std::string& name : SourceCheckNames(spec_)) {
      out->push_back(FailCheck(std::move(name), message, CheckCodeFor(s)));
    }
    return;
  }
  ServerChecks(out);
  std::vector<TableState> tables(spec_.tables.size());
  for (size_t i = 0; i < spec_.tables.size(); ++i) TableChecks(spec_.tables[i], &tables[i], out);
  out->push_back(Slot());
  out->push_back(Publication(tables));
}

void SourceChecker::ServerChecks(std::vector<CheckResult>* out) {
  const postgres::ServerInfo& server = state_.server;
  if (server.wal_level == "logical") {
    out->push_back(PassCheck("source.wal_level", "wal_level = logical"));
  } else {
    out->push_back(FailCheck(
        "source.wal_level", absl::StrCat("wal_level is '", server.wal_level,
                                         "'; set wal_level = logical (ALTER SYSTEM SET wal_level = "
                                         "logical) and restart PostgreSQL")));
  }
  if (server.standard_conforming_strings) {
    out->push_back(PassCheck("source.standard_conforming_strings", "on"));
  } else {
    out->push_back(FailCheck("source.standard_conforming_strings",
                             "standard_conforming_strings is off; set it to on (the default)"));
  }
  std::string role = QuoteIdentifier(state_.user);
  if (server.has_replication) {
    out->push_back(PassCheck(
        "source.replication_privilege",
        absl::StrCat("role ", role, server.is_superuser ? " is a superuser" : " has REPLICATION")));
  } else {
    out->push_back(FailCheck("source.replication_privilege",
                             absl::StrCat("role ", role,
                                          " lacks the REPLICATION attribute; as a superuser run: "
                                          "ALTER ROLE ",
                                          role, " REPLICATION"),
                             absl::StatusCode::kPermissionDenied));
  }
  bool slot_exists = state_.slot.has_value();
  if (slot_exists) {
    out->push_back(PassCheck(
        "source.max_replication_slots",
        absl::StrCat("slot \"", spec_.source.slot_name, "\" exists already; no new slot needed (",
                     state_.slots_used, " of ", server.max_replication_slots, " in use)")));
  } else if (state_.slots_used < server.max_replication_slots) {
    out->push_back(PassCheck("source.max_replication_slots",
                             absl::StrCat(state_.slots_used, " of ", server.max_replication_slots,
                                          " replication slots in use")));
  } else {
    out->push_back(FailCheck("source.max_replication_slots",
                             absl::StrCat("all ", server.max_replication_slots,
                                          " replication slots are in use; raise "
                                          "max_replication_slots (needs a restart) or drop unused "
                                          "slots")));
  }
  bool own_sender = slot_exists && context_.owns_slot && state_.slot->active;
  if (state_.wal_senders_used < server.max_wal_senders || own_sender) {
    out->push_back(PassCheck("source.max_wal_senders",
                             absl::StrCat(state_.wal_senders_used, " of ", server.max_wal_senders,
                                          " WAL senders in use")));
  } else {
    out->push_back(FailCheck("source.max_wal_senders",
                             absl::StrCat("all ", server.max_wal_senders,
                                          " WAL senders are in use; raise max_wal_senders (needs a "
                                          "restart)")));
  }
}

void SourceChecker::TableChecks(const TableSpec& table, TableState* state,
                                std::vector<CheckResult>* out) {
  bool wants_select = spec_.snapshot_mode != SnapshotMode::kNever;
  auto skip_rest = [&](std::string_view why) {
    out->push_back(FailCheck(TableCheck(table.source, "identity"), std::string(why)));
    if (wants_select)
      out->push_back(FailCheck(TableCheck(table.source, "select_privilege"), std::string(why)));
  };
  std::string exists = TableCheck(table.source, "exists");
  auto info = admin_.DescribeTable(table.source);
  if (!info.ok()) {
    if (info.status().code() == absl::StatusCode::kNotFound) {
      out->push_back(FailCheck(exists, absl::StrCat("table ", table.source.Display(),
                                                    " does not exist (views, foreign tables and "
                                                    "materialized views cannot be replicated)")));
    } else {
      out->push_back(
          FailCheck(exists, std::string(info.status().message()), CheckCodeFor(info.status())));
    }
    skip_rest("skipped: table missing");
    return;
  }
  state->info = std::move(*info);
  const postgres::TableInfo& t = *state->info;
  bool via_root = state_.publication.has_value() && state_.publication->via_root;
  if (t.relkind == 'p' && !via_root) {
    out->push_back(
        FailCheck(exists, absl::StrCat(table.source.Display(),
                                       " is a partitioned table: without a publication that sets "
                                       "publish_via_partition_root, changes arrive under each "
                                       "partition's name; list the partitions instead")));
  } else {
    out->push_back(PassCheck(exists, absl::StrCat(t.relkind == 'p' ? "partitioned table" : "table",
                                                  " with ", t.columns.size(), " columns")));
  }
  auto r = Query(
      absl::StrCat("SELECT has_table_privilege(oid, 'SELECT'), pg_has_role(relowner, 'USAGE'), "
                   "pg_get_userbyid(relowner) FROM pg_class WHERE oid = ",
                   t.oid));
  if (!r.ok() || r->rows() != 1) {
    absl::Status s = r.ok() ? absl::NotFoundError("table vanished while checking") : r.status();
    out->push_back(
        FailCheck(TableCheck(table.source, "identity"), std::string(s.message()), CheckCodeFor(s)));
    if (wants_select) {
      out->push_back(FailCheck(TableCheck(table.source, "select_privilege"),
                               std::string(s.message()), CheckCodeFor(s)));
    }
    return;
  }
  state->owned = IsTrue(r->Get(0, 1));
  out->push_back(Identity(table, t));
  if (!wants_select) return;
  std::string select = TableCheck(table.source, "select_privilege");
  if (IsTrue(r->Get(0, 0))) {
    out->push_back(PassCheck(select, "the role may read the table (initial snapshot)"));
  } else {
    out->push_back(
        FailCheck(select,
                  absl::StrCat("the initial snapshot needs SELECT; run: GRANT SELECT ON ",
                               table.source.Quoted(), " TO ", QuoteIdentifier(state_.user)),
                  absl::StatusCode::kPermissionDenied));
  }
}

CheckResult SourceChecker::Identity(const TableSpec& table, const postgres::TableInfo& info) {
  std::string name = TableCheck(table.source, "identity");
  std::string quoted = table.source.Quoted();
  // Columns an UPDATE's old key and a DELETE carry: primary key or index.
  std::vector<std::string> identity_columns;
  std::string identity_kind;
  switch (info.replica_identity) {
    case 'n':
      return FailCheck(name,
                       absl::StrCat("REPLICA IDENTITY NOTHING: updates and deletes cannot be "
                                    "replicated; ALTER TABLE ",
                                    quoted, " REPLICA IDENTITY DEFAULT (with a primary key) or ",
                                    "FULL (and set key_columns)"));
    case 'f':
      identity_kind = "REPLICA IDENTITY FULL";
      break;
    case 'i': {
      auto r = Query(
          absl::StrCat("SELECT a.attname FROM pg_index i "
                       "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                       "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                       "WHERE i.indrelid = ",
                       info.oid, " AND i.indisreplident ORDER BY k.ord"));
      if (!r.ok())
        return FailCheck(name, std::string(r.status().message()), CheckCodeFor(r.status()));
      for (int i = 0; i < r->rows(); ++i) identity_columns.emplace_back(r->Get(i, 0));
      identity_kind = absl::StrCat("replica identity index ", ColumnList(identity_columns));
      break;
    }
    default:
      if (info.primary_key.empty()) {
        return FailCheck(name,
                         absl::StrCat("no primary key and REPLICA IDENTITY DEFAULT: updates and "
                                      "deletes carry no key; add a primary key, or ALTER TABLE ",
                                      quoted, " REPLICA IDENTITY FULL and set key_columns"));
      }
      identity_columns = info.primary_key;
      identity_kind = absl::StrCat("primary key ", ColumnList(identity_columns));
  }
  if (table.key_columns.empty()) {
    if (info.replica_identity == 'f') {
      std::string hint = info.primary_key.empty() ? ""
                                                  : absl::StrCat(" (the primary key is ",
                                                                 ColumnList(info.primary_key), ")");
      return FailCheck(name, absl::StrCat("REPLICA IDENTITY FULL marks every column as key: set "
                                          "key_columns to the StarRocks primary key",
                                          hint));
    }
    return PassCheck(name, identity_kind);
  }
  for (const std::string& key : table.key_columns) {
    bool found = std::any_of(info.columns.begin(), info.columns.end(),
                             [&](const postgres::ColumnInfo& c) { return c.name == key; });
    if (!found) {
      return FailCheck(name, absl::StrCat("key column \"", key, "\" is not a column of ",
                                          table.source.Display()));
    }
    if (info.replica_identity != 'f' && !Contains(identity_columns, key)) {
      return FailCheck(name,
                       absl::StrCat("key column \"", key, "\" is not part of the ", identity_kind,
                                    ", which is all a DELETE carries; use those columns or ALTER "
                                    "TABLE ",
                                    quoted, " REPLICA IDENTITY FULL"));
    }
  }
  return PassCheck(name,
                   absl::StrCat(identity_kind, "; StarRocks key ", ColumnList(table.key_columns)));
}

CheckResult SourceChecker::Slot() {
  const std::string& slot = spec_.source.slot_name;
  std::string name = "slot.available";
  if (context_.other_slots.contains(slot)) {
    return FailCheck(
        name,
        absl::StrCat("slot \"", slot, "\" belongs to another pipeline; choose another slot_name"));
  }
  if (!state_.slot.has_value()) {
    if (context_.owns_slot) {
      return FailCheck(name, absl::StrCat("this pipeline's slot \"", slot,
                                          "\" no longer exists: changes made since the last "
                                          "checkpoint are lost; the pipeline needs a resync"));
    }
    return PassCheck(name, absl::StrCat("slot \"", slot, "\" does not exist; it will be created"));
  }
  const postgres::SlotInfo& info = *state_.slot;
  if (!context_.owns_slot) {
    return FailCheck(name,
                     absl::StrCat("a replication slot \"", slot,
                                  "\" already exists and this pipeline did not create it; drop "
                                  "it (SELECT pg_drop_replication_slot('",
                                  slot, "')) or choose another slot_name"));
  }
  if (info.slot_type != "logical" || info.plugin != "pgoutput") {
    return FailCheck(name,
                     absl::StrCat("slot \"", slot, "\" is a ", info.slot_type, " slot (plugin '",
                                  info.plugin, "'), not a logical pgoutput slot"));
  }
  if (info.database != state_.database) {
    return FailCheck(name, absl::StrCat("slot \"", slot, "\" is for database \"", info.database,
                                        "\", not \"", state_.database, "\""));
  }
  if (info.wal_status == "lost") {
    return FailCheck(name, absl::StrCat("slot \"", slot,
                                        "\" is lost (its WAL was removed); the pipeline needs a "
                                        "resync"));
  }
  return PassCheck(
      name,
      absl::StrCat("this pipeline's slot \"", slot, "\" exists", info.active ? " (active)" : "",
                   info.wal_status.empty() ? std::string()
                                           : absl::StrCat(", wal_status ", info.wal_status)));
}

CheckResult SourceChecker::Publication(const std::vector<TableState>& tables) {
  const std::string& pub = spec_.source.publication_name;
  std::string name = "publication.available";
  std::string role = QuoteIdentifier(state_.user);
  if (context_.other_publications.contains(pub)) {
    return FailCheck(name, absl::StrCat("publication \"", pub,
                                        "\" belongs to another pipeline; choose another "
                                        "publication_name"));
  }
  std::vector<std::string> all_quoted;
  std::vector<std::string> not_owned;
  for (size_t i = 0; i < spec_.tables.size(); ++i) {
    all_quoted.push_back(spec_.tables[i].source.Quoted());
    if (tables[i].info.has_value() && !tables[i].owned) {
      not_owned.push_back(spec_.tables[i].source.Display());
    }
  }
  if (!state_.publication.has_value()) {
    std::string how = absl::StrCat("CREATE PUBLICATION ", QuoteIdentifier(pub), " FOR TABLE ",
                                   absl::StrJoin(all_quoted, ", "),
                                   " WITH (publish = 'insert, update, delete, truncate')");
    if (!state_.can_create_in_database || !not_owned.empty()) {
      std::string needs =
          !state_.can_create_in_database
              ? absl::StrCat("CREATE on database ", QuoteIdentifier(state_.database))
              : "";
      if (!not_owned.empty()) {
        absl::StrAppend(&needs, needs.empty() ? "" : " and ", "ownership of ",
                        absl::StrJoin(not_owned, ", "));
      }
      return FailCheck(
          name,
          absl::StrCat("role ", role, " cannot create publication \"", pub, "\": it needs ", needs,
                       "; or have an administrator run: ", how),
          absl::StatusCode::kPermissionDenied);
    }
    return PassCheck(name,
                     absl::StrCat("publication \"", pub, "\" does not exist; it will be created",
                                  context_.owns_publication
                                      ? " again (it existed before: changes made while it was "
                                        "missing may not be streamed)"
                                      : ""));
  }
  const SourceChecker::SourceState::Publication& p = *state_.publication;
  if (p.all_tables) {
    return FailCheck(name, absl::StrCat("publication \"", pub,
                                        "\" is FOR ALL TABLES: every table's changes would be "
                                        "streamed; use a publication FOR TABLE of this pipeline's "
                                        "tables"));
  }
  std::vector<std::string> unpublished;
  if (!p.insert) unpublished.push_back("insert");
  if (!p.update) unpublished.push_back("update");
  if (!p.del) unpublished.push_back("delete");
  if (!p.truncate && !spec_.ignore_truncate) unpublished.push_back("truncate");
  if (!unpublished.empty()) {
    return FailCheck(name, absl::StrCat("publication \"", pub, "\" does not publish ",
                                        absl::StrJoin(unpublished, ", "),
                                        "; run: ALTER PUBLICATION ", QuoteIdentifier(pub),
                                        " SET (publish = 'insert, update, delete, truncate')"));
  }
  std::vector<std::string> missing;
  std::vector<std::string> missing_quoted;
  bool can_add = p.role_has_owner_rights;
  for (size_t i = 0; i < spec_.tables.size(); ++i) {
    const TableName& t = spec_.tables[i].source;
    if (std::find(p.tables.begin(), p.tables.end(), t) != p.tables.end()) continue;
    missing.push_back(t.Display());
    missing_quoted.push_back(t.Quoted());
    can_add = can_add && (!tables[i].info.has_value() || tables[i].owned);
  }
  std::vector<std::string> extra;
  for (const TableName& t : p.tables) {
    bool listed = std::any_of(spec_.tables.begin(), spec_.tables.end(),
                              [&](const TableSpec& s) { return s.source == t; });
    if (!listed) extra.push_back(t.Display());
  }
  if (!extra.empty() && !context_.owns_publication) {
    return FailCheck(
        name, absl::StrCat("publication \"", pub,
                           "\" also publishes tables that are not in this pipeline (",
                           absl::StrJoin(extra, ", "), "): their changes would be streamed too"));
  }
  if (!missing.empty() && !can_add) {
    return FailCheck(
        name,
        absl::StrCat("publication \"", pub, "\" lacks ", absl::StrJoin(missing, ", "), " and role ",
                     role, " cannot add them (the publication's owner is ",
                     QuoteIdentifier(p.owner), "); have the owner run: ALTER PUBLICATION ",
                     QuoteIdentifier(pub), " ADD TABLE ", absl::StrJoin(missing_quoted, ", ")),
        absl::StatusCode::kPermissionDenied);
  }
  std::string message = absl::StrCat("publication \"", pub, "\" exists");
  if (missing.empty()) {
    absl::StrAppend(&message, " and publishes every table");
  } else {
    absl::StrAppend(&message, "; ", absl::StrJoin(missing, ", "), " will be added");
  }
  if (!extra.empty()) {
    absl::StrAppend(&message, "; no longer in the spec: ", absl::StrJoin(extra, ", "));
  }
  return PassCheck(name, message);
}

}  // namespace dbmazz::pipeline
