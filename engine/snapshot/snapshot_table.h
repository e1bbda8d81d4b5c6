// What the initial copy needs to know about one source table: the columns
// pgoutput publishes (in attribute order, generated columns left out), which
// of them form the replica identity key, the primary key, and size
// estimates. `relation()` presents it as the Relation message the sink
// expects, so copied rows take exactly the path streamed rows take.
//
// Thread-safety: plain data. Errors (DescribeSnapshotTable): kNotFound for a
// missing table, libpq errors as engine/postgres/pg_error.h classifies them.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_TABLE_H_
#define DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/pgoutput/messages.h"
#include "engine/postgres/identifiers.h"
#include "engine/postgres/pg_connection.h"

namespace dbmazz::snapshot {

struct SnapshotColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool is_key = false;  // part of the replica identity, as pgoutput flags it
};

struct SnapshotTable {
  postgres::TableName name;
  uint32_t oid = 0;
  char replica_identity = 'd';
  std::vector<SnapshotColumn> columns;
  std::vector<std::string> primary_key;  // in key order; empty when none
  double rows_estimate = 0;              // pg_class.reltuples (or a guess from the size)
  int64_t pages = 0;                     // current size in blocks

  // Views into this object: valid while it lives, unchanged.
  pgoutput::RelationMessage relation() const;
  // "schema"."table"
  std::string Quoted() const { return name.Quoted(); }
};

// Reads the catalog (inside the caller's transaction, so under its snapshot
// when one was imported).
[[nodiscard]] absl::StatusOr<SnapshotTable> DescribeSnapshotTable(postgres::PgConnection& conn,
                                                                  const postgres::TableName& name);

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_SNAPSHOT_TABLE_H_
