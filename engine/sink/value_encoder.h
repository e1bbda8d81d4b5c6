// Writes one PostgreSQL TEXT-format value as a Stream Load JSON value,
// following a ValueSpec from type_mapping.h. Scalars only; arrays go through
// array_encoder.h, which calls back into AppendScalarValue for each element.
//
// Unrepresentable values (NaN, ±Infinity, out-of-range dates, oversized
// strings, numbers that do not fit the DECIMAL target) are written as `null`
// and counted in *stats (warnings + the cause). Values that are not what the
// type's text output looks like (e.g. "12x" for an int4, invalid UTF-8, a bytea
// not in hex format, malformed JSON) are errors: InvalidArgument, and *out may
// then hold a partial append that the caller must discard. Error messages
// never include the value itself.
//
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_VALUE_ENCODER_H_
#define DBMAZZ_ENGINE_SINK_VALUE_ENCODER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/sink/encode_stats.h"
#include "engine/sink/type_mapping.h"

namespace dbmazz::sink {

// Precondition: spec.encoding != JsonEncoding::kArray (FailedPrecondition).
[[nodiscard]] absl::Status AppendScalarValue(const ValueSpec& spec, std::string_view text,
                                             std::string* out, EncodeStats* stats);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_VALUE_ENCODER_H_
