// StarRocks identifier quoting, shared by the DDL generator and the Stream
// Load `columns` header: `name` with embedded backticks doubled.
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_SQL_IDENTIFIER_H_
#define DBMAZZ_ENGINE_SINK_SQL_IDENTIFIER_H_

#include <string>
#include <string_view>

namespace dbmazz::sink {

void AppendQuotedIdentifier(std::string_view name, std::string* out);
std::string QuoteIdentifier(std::string_view name);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_SQL_IDENTIFIER_H_
