// Low-level JSON text helpers for the Stream Load encoder: string escaping
// with strict UTF-8 validation, the JSON number grammar, and a validator for
// JSON documents that are embedded verbatim (json/jsonb values).
//
// All functions are allocation-free apart from growing the caller's output
// string, and never read outside the given views. Thread-safe (no state).
#ifndef DBMAZZ_ENGINE_SINK_JSON_TEXT_H_
#define DBMAZZ_ENGINE_SINK_JSON_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::sink {

// Length (1-4) of the well-formed UTF-8 sequence starting at s[0] (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0 if the bytes
// there are not one. `s` must not be empty.
size_t Utf8SequenceLength(std::string_view s);

bool IsValidUtf8(std::string_view s);

// Appends `s` as a quoted JSON string: `"` and `\` are escaped, bytes below
// 0x20 become \u00XX, everything else (valid UTF-8) is copied unchanged.
// Returns false, leaving *out with a partial append that the caller must
// discard, if `s` is not valid UTF-8.
[[nodiscard]] bool AppendJsonString(std::string_view s, std::string* out);

// True if `s` matches the JSON number grammar (RFC 8259 section 6):
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s);

// Maximum nesting depth accepted by ValidateJson (simdjson's default, which
// StarRocks uses).
inline constexpr int kMaxJsonDepth = 1024;

// OK if `text` is exactly one well-formed JSON value (RFC 8259), optionally
// surrounded by whitespace, with valid UTF-8, properly paired \u surrogate
// escapes and at most kMaxJsonDepth levels of nesting. InvalidArgument
// (with the byte offset) otherwise.
[[nodiscard]] absl::Status ValidateJson(std::string_view text);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_JSON_TEXT_H_
