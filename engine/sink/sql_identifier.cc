#include "engine/sink/sql_identifier.h"

namespace dbmazz::sink {

void AppendQuotedIdentifier(std::string_view name, std::string* out) {
  out->push_back('`');
  for (char c : name) {
    if (c == '`') out->push_back('`');
    out->push_back(c);
  }
  out->push_back('`');
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  AppendQuotedIdentifier(name, &out);
  return out;
}

}  // namespace dbmazz::sink
