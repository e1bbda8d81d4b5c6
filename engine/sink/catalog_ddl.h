// StarRocks DDL for a live PostgreSQL table: reads the table from the catalog
// (columns, types with their modifiers, primary key) and applies the type
// mapping of type_mapping.h through GenerateCreateTable(). Users create their
// target tables themselves; this prints what to create.
//
// Thread-safety: free functions over the borrowed connection.
// Errors: kNotFound for a missing table, kFailedPrecondition for a table with
// no primary key (and no `key_columns` given), the generator's errors.
#ifndef DBMAZZ_ENGINE_SINK_CATALOG_DDL_H_
#define DBMAZZ_ENGINE_SINK_CATALOG_DDL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/postgres/source_admin.h"
#include "engine/sink/ddl_generator.h"

namespace dbmazz::sink {

// The schema of a catalog table. The key is `key_columns` when given (for
// tables without a primary key, e.g. REPLICA IDENTITY FULL), else the primary key.
[[nodiscard]] absl::StatusOr<TableSchema> SchemaFromCatalog(
    const postgres::TableInfo& table, const std::vector<std::string>& key_columns = {});

// CREATE TABLE for `table` in StarRocks database `database`, target table
// `target_table` (empty: the PostgreSQL table's name).
[[nodiscard]] absl::StatusOr<std::string> DdlForTable(
    postgres::SourceAdmin& admin, const postgres::TableName& table, std::string_view database,
    std::string_view target_table = "", const DdlOptions& options = {},
    const std::vector<std::string>& key_columns = {});

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_CATALOG_DDL_H_
