// Converts a PostgreSQL one-dimensional array literal (array_out text, e.g.
// `{1,2,NULL}`, `{"a b","c\"d",NULL,"NULL",""}`, `{}`) into a JSON array whose
// elements are encoded with AppendScalarValue. Unquoted NULL (any case) is a
// null element; a quoted "NULL" is the string. Backslash escapes are removed
// inside and outside quotes, and whitespace around elements is ignored, as
// array_in does.
//
// Multi-dimensional arrays (`{{1,2},{3,4}}`) and arrays with explicit lower
// bounds (`[0:1]={1,2}`) have no faithful ARRAY<T> form: the whole value is
// written as `null` and counted in stats->unsupported_array (+ warnings).
// Syntax errors (unbalanced quotes or braces, empty unquoted elements, trailing
// characters) and element errors are InvalidArgument; *out may then hold a
// partial append.
//
// Thread-safety: an ArrayEncoder owns a scratch buffer; use one per thread.
#ifndef DBMAZZ_ENGINE_SINK_ARRAY_ENCODER_H_
#define DBMAZZ_ENGINE_SINK_ARRAY_ENCODER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/sink/encode_stats.h"
#include "engine/sink/type_mapping.h"

namespace dbmazz::sink {

class ArrayEncoder {
 public:
  // element: how each element is written (must not be kArray).
  [[nodiscard]] absl::Status Append(const ValueSpec& element, std::string_view text,
                                    std::string* out, EncodeStats* stats);

 private:
  std::string scratch_;  // de-escaped element text; capacity is reused
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_ARRAY_ENCODER_H_
