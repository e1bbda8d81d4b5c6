#include "engine/sink/value_encoder.h"

#include <array>
#include <cstdint>

#include "engine/sink/json_text.h"
#include "engine/sink/pg_datetime.h"

namespace dbmazz::sink {
namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void Warn(uint64_t EncodeStats::*cause, std::string* out, EncodeStats* stats) {
  out->append("null");
  ++(stats->*cause);
  ++stats->warnings;
}

bool IsNanOrInfinity(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

absl::Status AppendBool(std::string_view text, std::string* out) {
  if (text == "t") {
    out->append("true");
  } else if (text == "f") {
    out->append("false");
  } else {
    return absl::InvalidArgumentError("malformed PostgreSQL boolean text");
  }
  return absl::OkStatus();
}

absl::Status AppendInteger(std::string_view text, std::string* out) {
  size_t i = text.starts_with('-') ? 1 : 0;
  const size_t digits = text.size() - i;
  bool ok = digits >= 1 && digits <= 19;
  if (ok && text[i] == '0') ok = digits == 1 && i == 0;  // no leading zeros, no "-0"
  for (; ok && i < text.size(); ++i) ok = IsDigit(text[i]);
  if (!ok) return absl::InvalidArgumentError("malformed PostgreSQL integer text");
  out->append(text);
  return absl::OkStatus();
}

absl::Status AppendFloat(std::string_view text, std::string* out, EncodeStats* stats) {
  if (IsNanOrInfinity(text)) {
    Warn(&EncodeStats::nan_or_infinity, out, stats);
    return absl::OkStatus();
  }
  if (!IsJsonNumber(text)) return absl::InvalidArgumentError("malformed PostgreSQL float text");
  out->append(text);
  return absl::OkStatus();
}

absl::Status AppendDecimal(const ValueSpec& spec, std::string_view text, std::string* out,
                           EncodeStats* stats) {
  if (IsNanOrInfinity(text)) {
    Warn(&EncodeStats::nan_or_infinity, out, stats);
    return absl::OkStatus();
  }
  // -?digits(.digits)? — numeric_out never uses exponents or a '+' sign.
  size_t i = text.starts_with('-') ? 1 : 0;
  const size_t int_start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  const size_t int_end = i;
  size_t frac_start = i;
  if (i < text.size() && text[i] == '.') {
    frac_start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == frac_start) return absl::InvalidArgumentError("malformed PostgreSQL numeric text");
  }
  if (int_end == int_start || i != text.size()) {
    return absl::InvalidArgumentError("malformed PostgreSQL numeric text");
  }
  if (spec.decimal_precision > 0) {
    size_t first = int_start;
    while (first < int_end && text[first] == '0') ++first;
    const size_t int_digits = int_end - first;
    bool fits = int_digits <= static_cast<size_t>(spec.decimal_precision - spec.decimal_scale);
    if (fits && frac_start < text.size()) {
      for (size_t k = frac_start + spec.decimal_scale; k < text.size(); ++k) {
        if (text[k] != '0') {
          fits = false;
          break;
        }
      }
    }
    if (!fits) {
      Warn(&EncodeStats::decimal_out_of_range, out, stats);
      return absl::OkStatus();
    }
  }
  out->push_back('"');
  out->append(text);
  out->push_back('"');
  return absl::OkStatus();
}

absl::Status AppendString(const ValueSpec& spec, std::string_view text, std::string* out,
                          EncodeStats* stats) {
  if (spec.max_bytes != 0 && text.size() > spec.max_bytes) {
    Warn(&EncodeStats::oversized, out, stats);
    return absl::OkStatus();
  }
  if (!AppendJsonString(text, out))
    return absl::InvalidArgumentError("invalid UTF-8 in text value");
  return absl::OkStatus();
}

constexpr std::array<int8_t, 256> MakeHexTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}
constexpr std::array<int8_t, 256> kHexValue = MakeHexTable();

// bytea_output = hex: `\x` followed by two hex digits per byte.
absl::Status AppendBinaryHex(const ValueSpec& spec, std::string_view text, std::string* out,
                             EncodeStats* stats) {
  if (!text.starts_with("\\x") || text.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        "malformed PostgreSQL bytea text (expected bytea_output=hex)");
  }
  const std::string_view hex = text.substr(2);
  if (spec.max_bytes != 0 && hex.size() / 2 > spec.max_bytes) {
    Warn(&EncodeStats::oversized, out, stats);
    return absl::OkStatus();
  }
  static constexpr char kLower[] = "0123456789abcdef";
  const size_t start = out->size();
  out->resize(start + hex.size() + 2);
  char* p = out->data() + start;
  *p++ = '"';
  for (char c : hex) {
    const int8_t v = kHexValue[static_cast<unsigned char>(c)];
    if (v < 0) return absl::InvalidArgumentError("malformed PostgreSQL bytea text");
    *p++ = kLower[v];
  }
  *p = '"';
  return absl::OkStatus();
}

absl::Status AppendJson(std::string_view text, std::string* out) {
  if (absl::Status st = ValidateJson(text); !st.ok()) return st;
  out->append(text);
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendScalarValue(const ValueSpec& spec, std::string_view text, std::string* out,
                               EncodeStats* stats) {
  switch (spec.encoding) {
    case JsonEncoding::kBool:
      return AppendBool(text, out);
    case JsonEncoding::kInteger:
      return AppendInteger(text, out);
    case JsonEncoding::kFloat:
      return AppendFloat(text, out, stats);
    case JsonEncoding::kDecimal:
      return AppendDecimal(spec, text, out, stats);
    case JsonEncoding::kString:
      return AppendString(spec, text, out, stats);
    case JsonEncoding::kDate:
      return AppendPgDate(text, out, stats);
    case JsonEncoding::kDateTime:
      return AppendPgTimestamp(text, /*with_time_zone=*/false, out, stats);
    case JsonEncoding::kDateTimeTz:
      return AppendPgTimestamp(text, /*with_time_zone=*/true, out, stats);
    case JsonEncoding::kJson:
      return AppendJson(text, out);
    case JsonEncoding::kBinaryHex:
      return AppendBinaryHex(spec, text, out, stats);
    case JsonEncoding::kArray:
      break;
  }
  return absl::FailedPreconditionError("AppendScalarValue called for an array");
}

}  // namespace dbmazz::sink
