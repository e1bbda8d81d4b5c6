#include "engine/snapshot/snapshot_table.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::snapshot {
namespace {

int64_t ToInt(std::string_view text) {
  int64_t value = 0;
  return absl::SimpleAtoi(AsAbsl(text), &value) ? value : 0;
}

}  // namespace

pgoutput::RelationMessage SnapshotTable::relation() const {
  pgoutput::RelationMessage r;
  r.relation_id = oid;
  r.namespace_name = name.schema;
  r.relation_name = name.name;
  r.replica_identity = replica_identity;
  for (const SnapshotColumn& c : columns) {
    r.columns.push_back(pgoutput::RelationColumn{static_cast<uint8_t>(c.is_key ? 1 : 0), c.name,
                                                 c.type_oid, c.type_modifier});
  }
  return r;
}

absl::StatusOr<SnapshotTable> DescribeSnapshotTable(postgres::PgConnection& conn,
                                                    const postgres::TableName& name) {
  auto rel =
      conn.Exec(absl::StrCat("SELECT c.oid, c.relreplident, c.reltuples, "
                             "pg_relation_size(c.oid) / current_setting('block_size')::int "
                             "FROM pg_class c WHERE c.oid = to_regclass(",
                             postgres::QuoteLiteral(name.Quoted()), ") AND c.relkind = 'r'"));
  if (!rel.ok()) return rel.status();
  if (rel->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("table ", name.Display(), " does not exist"));
  }
  SnapshotTable table;
  table.name = name;
  table.oid = static_cast<uint32_t>(ToInt(rel->Get(0, 0)));
  table.replica_identity = rel->Get(0, 1).empty() ? 'd' : rel->Get(0, 1)[0];
  double reltuples = 0;
  if (!absl::SimpleAtod(AsAbsl(rel->Get(0, 2)), &reltuples)) reltuples = 0;
  table.pages = ToInt(rel->Get(0, 3));
  // reltuples is -1 (PG14+) or 0 before the first VACUUM/ANALYZE: guess
  // from the size (only progress estimates and chunk counts depend on it).
  table.rows_estimate = reltuples > 0 ? reltuples : static_cast<double>(table.pages) * 60;

  std::string oid = absl::StrCat(table.oid);
  // Columns as pgoutput publishes them: not dropped, not generated.
  auto cols = conn.Exec(absl::StrCat(
      "SELECT a.attname, a.atttypid, a.atttypmod, a.attnum FROM pg_attribute a "
      "WHERE a.attrelid = ",
      oid, " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum"));
  if (!cols.ok()) return cols.status();
  // The replica identity index (primary key or REPLICA IDENTITY USING INDEX).
  auto keys = conn.Exec(absl::StrCat(
      "SELECT k.attnum, i.indisprimary, i.indisreplident FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) WHERE i.indrelid = ",
      oid, " AND (i.indisprimary OR i.indisreplident) ORDER BY i.indisprimary DESC, k.ord"));
  if (!keys.ok()) return keys.status();
  std::vector<int64_t> identity_attnums;
  std::vector<int64_t> primary_attnums;
  for (int i = 0; i < keys->rows(); ++i) {
    int64_t attnum = ToInt(keys->Get(i, 0));
    bool primary = keys->Get(i, 1) == "t";
    bool replident = keys->Get(i, 2) == "t";
    if (primary) primary_attnums.push_back(attnum);
    if ((table.replica_identity == 'i' && replident) ||
        (table.replica_identity == 'd' && primary)) {
      identity_attnums.push_back(attnum);
    }
  }
  for (int i = 0; i < cols->rows(); ++i) {
    SnapshotColumn c;
    c.name = std::string(cols->Get(i, 0));
    c.type_oid = static_cast<uint32_t>(ToInt(cols->Get(i, 1)));
    c.type_modifier = static_cast<int32_t>(ToInt(cols->Get(i, 2)));
    int64_t attnum = ToInt(cols->Get(i, 3));
    c.is_key = table.replica_identity == 'f' ||
               std::find(identity_attnums.begin(), identity_attnums.end(), attnum) !=
                   identity_attnums.end();
    table.columns.push_back(std::move(c));
  }
  for (int64_t attnum : primary_attnums) {
    for (int i = 0; i < cols->rows(); ++i) {
      if (ToInt(cols->Get(i, 3)) == attnum) table.primary_key.emplace_back(cols->Get(i, 0));
    }
  }
  return table;
}

}  // namespace dbmazz::snapshot
