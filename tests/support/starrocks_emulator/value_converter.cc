#include "tests/support/starrocks_emulator/value_converter.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string JsonQuote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendInt(std::string* out, __int128 v) {
  if (v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max()) {
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
    out->append(buf, ptr);
    return;
  }
  out->append(Int128ToString(v));
}

struct IntRange {
  __int128 min;
  __int128 max;
};

IntRange RangeOf(TypeKind kind) {
  switch (kind) {
    case TypeKind::kTinyInt:
      return {-128, 127};
    case TypeKind::kSmallInt:
      return {-32768, 32767};
    case TypeKind::kInt:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

absl::Status Overflow(std::string_view column, std::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat("Value is overflow. column=", AsAbsl(column), ", value=", AsAbsl(value)));
}

absl::Status OutOfRange(const ColumnType& type, std::string_view column, std::string_view value) {
  return absl::InvalidArgumentError(absl::StrCat("Value '", AsAbsl(value),
                                                 "' is out of range. The type of '", AsAbsl(column),
                                                 "' is ", type.ToString()));
}

// The text a value has once StarRocks reads it into a VARCHAR source column;
// `scratch` holds it when it is not already text.
std::string_view TextOf(const RawValue& v, std::string* scratch) {
  switch (v.kind) {
    case RawKind::kFloat:
    case RawKind::kString:
    case RawKind::kNested:
      return v.text;
    default:
      break;
  }
  switch (v.kind) {
    case RawKind::kBool:
      return v.boolean ? "1" : "0";
    case RawKind::kInt: {
      char buf[24];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v.int_value);
      scratch->assign(buf, ptr);
      return *scratch;
    }
    case RawKind::kUint: {
      char buf[24];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v.uint_value);
      scratch->assign(buf, ptr);
      return *scratch;
    }
    default:
      return "";
  }
}

std::string AsText(const RawValue& v) {
  switch (v.kind) {
    case RawKind::kBool:
      return v.boolean ? "1" : "0";
    case RawKind::kInt:
      return std::to_string(v.int_value);
    case RawKind::kUint:
      return std::to_string(v.uint_value);
    case RawKind::kFloat:
    case RawKind::kString:
    case RawKind::kNested:
      return v.text;
    case RawKind::kNull:
      break;
  }
  return "";
}

absl::Status ConvertInteger(const ColumnType& type, std::string_view column, const RawValue& v,
                            std::string* out) {
  IntRange range = RangeOf(type.kind);
  auto check = [&](__int128 x) -> absl::Status {
    if (x < range.min || x > range.max) return Overflow(column, AsText(v));
    AppendInt(out, x);
    return absl::OkStatus();
  };
  auto from_double = [&](double d) -> absl::Status {
    // Same bounds as StarRocks' checked_cast: truncation toward zero.
    if (!(d >= static_cast<double>(range.min) && d <= static_cast<double>(range.max))) {
      return Overflow(column, AsText(v));
    }
    return check(static_cast<__int128>(std::trunc(d)));
  };
  switch (v.kind) {
    case RawKind::kInt:
      return check(v.int_value);
    case RawKind::kUint:
      return check(static_cast<__int128>(v.uint_value));
    case RawKind::kFloat:
      return from_double(v.float_value);
    case RawKind::kString: {
      if (auto x = ParseInt128(v.text)) return check(*x);
      if (auto d = ParseDouble(v.text)) return from_double(*d);
      return absl::InvalidArgumentError(absl::StrCat(
          "Unable to cast string value to BIGINT. value=", v.text, ", column=", AsAbsl(column)));
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "Unsupported value type. Numeric type is required. column=", AsAbsl(column)));
  }
}

absl::Status ConvertFloating(const ColumnType& type, std::string_view column, const RawValue& v,
                             std::string* out) {
  std::optional<double> d;
  std::string shown;
  switch (v.kind) {
    case RawKind::kInt:
      d = static_cast<double>(v.int_value);
      break;
    case RawKind::kUint:
      d = static_cast<double>(v.uint_value);
      break;
    case RawKind::kFloat:
      d = v.float_value;
      break;
    case RawKind::kString:
      d = ParseDouble(v.text);
      if (!d) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Unable to cast string value to BIGINT. value=", v.text, ", column=", AsAbsl(column)));
      }
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "Unsupported value type. Numeric type is required. column=", AsAbsl(column)));
  }
  if (type.kind == TypeKind::kFloat) {
    if (std::fabs(*d) > std::numeric_limits<float>::max()) return Overflow(column, AsText(v));
    out->append(FormatFloat(static_cast<float>(*d)));
  } else {
    out->append(FormatDouble(*d));
  }
  return absl::OkStatus();
}

absl::Status ConvertBoolean(std::string_view column, const RawValue& v, std::string* out) {
  bool b = false;
  switch (v.kind) {
    case RawKind::kBool:
      b = v.boolean;
      break;
    case RawKind::kInt:
      b = v.int_value != 0;
      break;
    case RawKind::kUint:
      b = v.uint_value != 0;
      break;
    case RawKind::kFloat:
      b = v.float_value != 0;
      break;
    case RawKind::kString: {
      if (auto x = ParseInt128(v.text)) {
        b = *x != 0;
        break;
      }
      std::string lower = absl::AsciiStrToLower(AsAbsl(TrimSpace(v.text)));
      if (lower == "true") {
        b = true;
      } else if (lower == "false") {
        b = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("Failed to parse string value as boolean. column=", AsAbsl(column),
                         ", value=", v.text));
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Unsupported value type to boolean. column=", AsAbsl(column),
                       ", type=", v.kind == RawKind::kNested ? "object" : "null"));
  }
  out->push_back(b ? '1' : '0');
  return absl::OkStatus();
}

absl::Status ConvertJson(const RawValue& v, std::string* out) {
  switch (v.kind) {
    case RawKind::kBool:
      out->append(v.boolean ? "true" : "false");
      break;
    case RawKind::kInt:
    case RawKind::kUint:
      out->append(AsText(v));
      break;
    case RawKind::kFloat:
      out->append(FormatDouble(v.float_value));
      break;
    case RawKind::kString:
      out->append(JsonQuote(v.text));
      break;
    case RawKind::kNested: {
      // StarRocks stores JSON with sorted object keys.
      nlohmann::json parsed = nlohmann::json::parse(v.text, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) return absl::InvalidArgumentError("invalid json value");
      out->append(parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      break;
    }
    case RawKind::kNull:
      out->append("null");
      break;
  }
  return absl::OkStatus();
}

RawValue FromJson(const OrderedJson& j) {
  RawValue v;
  switch (j.type()) {
    case OrderedJson::value_t::boolean:
      v.kind = RawKind::kBool;
      v.boolean = j.get<bool>();
      break;
    case OrderedJson::value_t::number_integer:
      v.kind = RawKind::kInt;
      v.int_value = j.get<int64_t>();
      break;
    case OrderedJson::value_t::number_unsigned:
      v.kind = RawKind::kUint;
      v.uint_value = j.get<uint64_t>();
      break;
    case OrderedJson::value_t::number_float:
      v.kind = RawKind::kFloat;
      v.float_value = j.get<double>();
      v.text = j.dump();
      break;
    case OrderedJson::value_t::string:
      v.kind = RawKind::kString;
      v.text = j.get<std::string>();
      break;
    case OrderedJson::value_t::object:
    case OrderedJson::value_t::array:
      v.kind = RawKind::kNested;
      v.text = j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
      break;
    default:
      break;
  }
  return v;
}

// Appends the element's canonical text as it appears inside an ARRAY value.
void AppendArrayElement(const ColumnType& type, const std::string& canonical, std::string* out) {
  if (type.IsNumeric() || type.kind == TypeKind::kBoolean || type.kind == TypeKind::kJson ||
      type.kind == TypeKind::kArray) {
    out->append(canonical);
  } else {
    out->append(JsonQuote(canonical));
  }
}

absl::Status ConvertArray(const ColumnType& type, std::string_view column, const RawValue& v,
                          std::string* out) {
  OrderedJson parsed;
  if (v.kind == RawKind::kNested) {
    parsed = OrderedJson::parse(v.text, nullptr, /*allow_exceptions=*/false);
  }
  if (!parsed.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Failed to parse value as array, column=", AsAbsl(column)));
  }
  std::string result = "[";
  std::string element;
  bool first = true;
  for (const OrderedJson& item : parsed) {
    if (!first) result.push_back(',');
    first = false;
    RawValue raw = FromJson(item);
    element.clear();
    // Elements that do not convert become NULL, as in StarRocks.
    if (raw.kind == RawKind::kNull || !ConvertValue(*type.element, column, raw, &element).ok()) {
      result.append("null");
    } else {
      AppendArrayElement(*type.element, element, &result);
    }
  }
  result.push_back(']');
  out->append(result);
  return absl::OkStatus();
}

absl::Status CheckLength(const ColumnType& type, std::string_view column, size_t size) {
  if (size > static_cast<size_t>(type.length)) {
    return absl::InvalidArgumentError(absl::StrCat("Value length is beyond the capacity. column=",
                                                   AsAbsl(column), ", capacity=", type.length));
  }
  return absl::OkStatus();
}

}  // namespace

std::string RawValue::ToJson() const {
  switch (kind) {
    case RawKind::kNull:
      return "null";
    case RawKind::kBool:
      return boolean ? "true" : "false";
    case RawKind::kInt:
      return std::to_string(int_value);
    case RawKind::kUint:
      return std::to_string(uint_value);
    case RawKind::kFloat:
    case RawKind::kNested:
      return text;
    case RawKind::kString:
      return JsonQuote(text);
  }
  return "null";
}

absl::Status ConvertValue(const ColumnType& type, std::string_view column, const RawValue& v,
                          std::string* out) {
  switch (type.kind) {
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kInt:
    case TypeKind::kBigInt:
      return ConvertInteger(type, column, v, out);
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      return ConvertFloating(type, column, v, out);
    case TypeKind::kBoolean:
      return ConvertBoolean(column, v, out);
    case TypeKind::kJson:
      return ConvertJson(v, out);
    case TypeKind::kArray:
      return ConvertArray(type, column, v, out);
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kString:
    case TypeKind::kVarbinary: {
      if (v.kind == RawKind::kString || v.kind == RawKind::kFloat || v.kind == RawKind::kNested) {
        if (auto st = CheckLength(type, column, v.text.size()); !st.ok()) return st;
        out->append(v.text);
        return absl::OkStatus();
      }
      std::string scratch;
      std::string_view text = TextOf(v, &scratch);
      if (auto st = CheckLength(type, column, text.size()); !st.ok()) return st;
      out->append(text);
      return absl::OkStatus();
    }
    case TypeKind::kLargeInt: {
      std::string scratch;
      std::string_view text = TextOf(v, &scratch);
      auto x = ParseInt128(text);
      if (!x) return OutOfRange(type, column, text);
      AppendInt(out, *x);
      return absl::OkStatus();
    }
    case TypeKind::kDecimal: {
      std::string scratch;
      std::string_view text = TextOf(v, &scratch);
      if (!AppendDecimal(text, type.precision, type.scale, out)) {
        return OutOfRange(type, column, text);
      }
      return absl::OkStatus();
    }
    case TypeKind::kDate:
    case TypeKind::kDatetime: {
      std::string scratch;
      std::string_view text = TextOf(v, &scratch);
      bool ok = type.kind == TypeKind::kDate ? AppendDate(text, out) : AppendDatetime(text, out);
      if (!ok) return OutOfRange(type, column, text);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unsupported column type");
}

absl::Status ConvertDefault(const ColumnType& type, std::string_view column, std::string_view text,
                            std::string* out) {
  RawValue v;
  OrderedJson parsed = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && (parsed.is_structured() || type.kind == TypeKind::kJson)) {
    v = FromJson(parsed);
  } else {
    v.kind = RawKind::kString;
    v.text = std::string(text);
  }
  return ConvertValue(type, column, v, out);
}

}  // namespace dbmazz::starrocks_emulator
