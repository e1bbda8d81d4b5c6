// Parses one row of PostgreSQL's COPY ... TO STDOUT text format into the
// column values the sink takes (the same text the type output functions
// produce, which is also what pgoutput sends).
//
// Format (https://www.postgresql.org/docs/current/sql-copy.html, "Text
// Format"): columns separated by a tab, the row ended by a newline, \N for
// NULL, and backslash escapes: \b \f \n \r \t \v \\, \digits (octal, 1-3)
// and \xhex (1-2). A backslash before any other character stands for that
// character.
//
// Ownership: values returned point into `row` (fields without escapes) or
// into the parser's buffer: valid while `row` is and until the next Parse().
// Thread-safety: one thread at a time.
// Errors: kDataLoss, naming the problem, when the row does not have exactly
// the expected number of columns or ends in the middle of an escape.
#ifndef DBMAZZ_ENGINE_SNAPSHOT_COPY_ROW_PARSER_H_
#define DBMAZZ_ENGINE_SNAPSHOT_COPY_ROW_PARSER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/pgoutput/messages.h"

namespace dbmazz::snapshot {

class CopyRowParser {
 public:
  // Parses `row` (with or without its final newline) into `out`, which gets
  // exactly `columns` values (kNull or kText).
  [[nodiscard]] absl::Status Parse(std::string_view row, size_t columns, pgoutput::TupleData* out);

 private:
  std::string buffer_;
};

}  // namespace dbmazz::snapshot

#endif  // DBMAZZ_ENGINE_SNAPSHOT_COPY_ROW_PARSER_H_
