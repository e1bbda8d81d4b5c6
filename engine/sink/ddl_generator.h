// CREATE TABLE statements for StarRocks primary key tables mirroring a
// PostgreSQL table, using the type mapping of type_mapping.h:
//
//   CREATE TABLE IF NOT EXISTS `db`.`orders` (
//     `id` BIGINT NOT NULL,
//     `note` VARCHAR(1048576) NULL
//   ) PRIMARY KEY (`id`)
//   DISTRIBUTED BY HASH(`id`)
//
// Key columns come first, in key order (StarRocks requires the primary key to
// be the leading columns) and are NOT NULL; the other columns keep their
// PostgreSQL order and are NULL. A key column whose mapped type StarRocks does
// not accept in a primary key (DECIMAL, FLOAT, DOUBLE) is declared with the
// mapping's VARCHAR key_type.
//
// Errors: FailedPrecondition if there is no key; InvalidArgument for bad key
// indexes, empty or duplicate column names (StarRocks column names are
// case-insensitive, so "A" and "a" collide), the reserved name __op, or a key
// column whose type cannot be a StarRocks key (json, arrays, bytea).
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_DDL_GENERATOR_H_
#define DBMAZZ_ENGINE_SINK_DDL_GENERATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/pgoutput/relation_cache.h"
#include "engine/sink/type_mapping.h"

namespace dbmazz::sink {

struct TableSchema {
  struct Column {
    std::string name;
    uint32_t type_oid = 0;
    int32_t type_modifier = -1;
  };
  std::vector<Column> columns;
  // Indexes into `columns` of the primary key, in key order.
  std::vector<int> key_columns;

  // From a pgoutput Relation: its columns and replica identity key (column
  // order). With REPLICA IDENTITY FULL pgoutput flags every column as a key
  // column; replace key_columns with the real primary key in that case.
  static TableSchema FromRelation(const pgoutput::Relation& rel);
};

struct DdlOptions {
  bool if_not_exists = true;
  int buckets = 0;  // > 0 adds BUCKETS n; 0 lets StarRocks choose
  // PROPERTIES ("key" = "value", ...), e.g. {"replication_num", "1"}.
  std::vector<std::pair<std::string, std::string>> properties;
  TypeMappingOptions type_mapping;
};

[[nodiscard]] absl::StatusOr<std::string> GenerateCreateTable(std::string_view database,
                                                              std::string_view table,
                                                              const TableSchema& schema,
                                                              const DdlOptions& options = {});

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_DDL_GENERATOR_H_
