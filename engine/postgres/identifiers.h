// SQL identifier and literal quoting, and parsing of user-written table names.
//
// All quoting here is pure (no connection needed) and assumes
// standard_conforming_strings=on (the default since PostgreSQL 9.1; the source
// checks verify it). Names containing NUL bytes are rejected: PostgreSQL cannot
// store them and libpq would truncate at them.
//
// Thread-safety: free functions.
#ifndef DBMAZZ_ENGINE_POSTGRES_IDENTIFIERS_H_
#define DBMAZZ_ENGINE_POSTGRES_IDENTIFIERS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dbmazz::postgres {

// PostgreSQL truncates identifiers longer than NAMEDATALEN-1 bytes; we refuse them.
inline constexpr size_t kMaxIdentifierBytes = 63;

// A schema-qualified table name, both parts as stored in the catalog (case preserved).
struct TableName {
  std::string schema = "public";
  std::string name;

  // "schema"."name", safe to splice into SQL.
  std::string Quoted() const;
  // schema.name for messages; parts quoted only when they need it.
  std::string Display() const;
  friend bool operator==(const TableName&, const TableName&) = default;
};

// "table", "schema.table", "\"Order Items\"", "\"My \"\"Odd\"\" Schema\".t".
// Unquoted parts fold to lower case as in SQL. InvalidArgument for empty parts,
// more than two parts, bad quoting, NUL bytes or names over 63 bytes.
[[nodiscard]] absl::StatusOr<TableName> ParseTableName(std::string_view text);

// "name" with embedded double quotes doubled.
std::string QuoteIdentifier(std::string_view name);

// 'value' with embedded single quotes doubled (valid in SQL with
// standard_conforming_strings=on and in replication-protocol commands).
std::string QuoteLiteral(std::string_view value);

// Replication slot names: 1-63 of [a-z0-9_] (PostgreSQL's own rule).
[[nodiscard]] absl::Status ValidateSlotName(std::string_view name);

// Any identifier we create (publication names): 1-63 bytes, no NUL.
[[nodiscard]] absl::Status ValidateIdentifier(std::string_view what, std::string_view name);

}  // namespace dbmazz::postgres

#endif  // DBMAZZ_ENGINE_POSTGRES_IDENTIFIERS_H_
