#include "engine/sink/ddl_generator.h"

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/sink/row_encoder.h"
#include "engine/sink/sql_identifier.h"

namespace dbmazz::sink {
namespace {

// A double-quoted string literal for PROPERTIES.
void AppendStringLiteral(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::Status ValidateNames(const TableSchema& schema) {
  absl::flat_hash_set<std::string> seen;
  for (const TableSchema::Column& c : schema.columns) {
    if (c.name.empty()) return absl::InvalidArgumentError("empty column name");
    if (c.name == kOpColumn || c.name.starts_with(kHexKeyPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("column name \"", c.name, "\" is reserved by the StarRocks sink"));
    }
    if (!seen.insert(absl::AsciiStrToLower(c.name)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column \"", c.name,
          "\" collides with another column (StarRocks column names are case-insensitive)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

TableSchema TableSchema::FromRelation(const pgoutput::Relation& rel) {
  TableSchema schema;
  schema.columns.reserve(rel.columns.size());
  for (const pgoutput::Relation::Column& c : rel.columns) {
    schema.columns.push_back({c.name, c.type_oid, c.type_modifier});
  }
  schema.key_columns = rel.key_columns;
  return schema;
}

absl::StatusOr<std::string> GenerateCreateTable(std::string_view database, std::string_view table,
                                                const TableSchema& schema,
                                                const DdlOptions& options) {
  if (database.empty() || table.empty()) {
    return absl::InvalidArgumentError("database and table names must not be empty");
  }
  if (schema.key_columns.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "table ", AsAbsl(table), " has no primary key; a StarRocks primary key table needs one"));
  }
  if (absl::Status st = ValidateNames(schema); !st.ok()) return st;

  const size_t n = schema.columns.size();
  std::vector<bool> is_key(n, false);
  for (int k : schema.key_columns) {
    if (k < 0 || static_cast<size_t>(k) >= n) {
      return absl::InvalidArgumentError("key column index out of range");
    }
    if (is_key[static_cast<size_t>(k)]) {
      return absl::InvalidArgumentError("duplicate key column");
    }
    is_key[static_cast<size_t>(k)] = true;
  }

  std::string key_list;
  for (int k : schema.key_columns) {
    if (!key_list.empty()) key_list.append(", ");
    AppendQuotedIdentifier(schema.columns[static_cast<size_t>(k)].name, &key_list);
  }

  std::string sql = "CREATE TABLE ";
  if (options.if_not_exists) sql.append("IF NOT EXISTS ");
  AppendQuotedIdentifier(database, &sql);
  sql.push_back('.');
  AppendQuotedIdentifier(table, &sql);
  sql.append(" (\n");

  bool first = true;
  const auto add_column = [&](size_t i, bool key) -> absl::Status {
    const TableSchema::Column& c = schema.columns[i];
    const TypeMapping m = MapPostgresType(c.type_oid, c.type_modifier, options.type_mapping);
    if (key && m.key_type.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("key column \"", c.name, "\" maps to ",
                                                     m.starrocks_type,
                                                     ", which StarRocks does not allow in a key"));
    }
    if (!first) sql.append(",\n");
    first = false;
    sql.append("  ");
    AppendQuotedIdentifier(c.name, &sql);
    sql.push_back(' ');
    sql.append(key ? m.key_type : m.starrocks_type);
    sql.append(key ? " NOT NULL" : " NULL");
    return absl::OkStatus();
  };
  for (int k : schema.key_columns) {
    if (absl::Status st = add_column(static_cast<size_t>(k), true); !st.ok()) return st;
  }
  for (size_t i = 0; i < n; ++i) {
    if (is_key[i]) continue;
    if (absl::Status st = add_column(i, false); !st.ok()) return st;
  }

  absl::StrAppend(&sql, "\n) PRIMARY KEY (", key_list, ")\nDISTRIBUTED BY HASH(", key_list, ")");
  if (options.buckets > 0) absl::StrAppend(&sql, " BUCKETS ", options.buckets);
  if (!options.properties.empty()) {
    sql.append("\nPROPERTIES (");
    bool first_property = true;
    for (const auto& [key, value] : options.properties) {
      if (!first_property) sql.append(", ");
      first_property = false;
      AppendStringLiteral(key, &sql);
      sql.append(" = ");
      AppendStringLiteral(value, &sql);
    }
    sql.push_back(')');
  }
  return sql;
}

}  // namespace dbmazz::sink
