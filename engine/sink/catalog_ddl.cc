#include "engine/sink/catalog_ddl.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dbmazz::sink {

absl::StatusOr<TableSchema> SchemaFromCatalog(const postgres::TableInfo& table,
                                              const std::vector<std::string>& key_columns) {
  TableSchema schema;
  for (const postgres::ColumnInfo& c : table.columns) {
    schema.columns.push_back(TableSchema::Column{c.name, c.type_oid, c.type_modifier});
  }
  const std::vector<std::string>& keys = key_columns.empty() ? table.primary_key : key_columns;
  for (const std::string& key : keys) {
    auto it = std::find_if(schema.columns.begin(), schema.columns.end(),
                           [&](const TableSchema::Column& c) { return c.name == key; });
    if (it == schema.columns.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key column \"", key, "\" is not a column of ", table.name.Display()));
    }
    schema.key_columns.push_back(static_cast<int>(it - schema.columns.begin()));
  }
  return schema;
}

absl::StatusOr<std::string> DdlForTable(postgres::SourceAdmin& admin,
                                        const postgres::TableName& table, std::string_view database,
                                        std::string_view target_table, const DdlOptions& options,
                                        const std::vector<std::string>& key_columns) {
  auto info = admin.DescribeTable(table);
  if (!info.ok()) return info.status();
  auto schema = SchemaFromCatalog(*info, key_columns);
  if (!schema.ok()) return schema.status();
  if (schema->key_columns.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("table ", table.Display(),
                     " has no primary key: name the StarRocks key columns (a StarRocks primary key "
                     "table needs one)"));
  }
  return GenerateCreateTable(database, target_table.empty() ? table.name : target_table, *schema,
                             options);
}

}  // namespace dbmazz::sink
