#include "tests/support/starrocks_emulator/column_type.h"

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

absl::Status BadType(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid column type '", AsAbsl(text), "': ", AsAbsl(why)));
}

absl::StatusOr<int> ParseInt(std::string_view text, std::string_view whole) {
  text = Trim(text);
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return BadType(whole, "expected a number");
  }
  return value;
}

// Splits "NAME(args)" into NAME and the list of comma-separated args.
absl::Status SplitArgs(std::string_view text, std::string_view whole, std::string_view* name,
                       std::vector<std::string_view>* args) {
  size_t open = text.find('(');
  if (open == std::string_view::npos) {
    *name = Trim(text);
    return absl::OkStatus();
  }
  if (text.back() != ')') return BadType(whole, "unbalanced parentheses");
  *name = Trim(text.substr(0, open));
  std::string_view inner = text.substr(open + 1, text.size() - open - 2);
  while (true) {
    size_t comma = inner.find(',');
    args->push_back(Trim(inner.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return absl::OkStatus();
}

}  // namespace

bool ColumnType::IsInteger() const {
  switch (kind) {
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kInt:
    case TypeKind::kBigInt:
    case TypeKind::kLargeInt:
      return true;
    default:
      return false;
  }
}

bool ColumnType::IsStringLike() const {
  return kind == TypeKind::kChar || kind == TypeKind::kVarchar || kind == TypeKind::kString ||
         kind == TypeKind::kVarbinary;
}

bool ColumnType::IsNumeric() const {
  return IsInteger() || kind == TypeKind::kFloat || kind == TypeKind::kDouble ||
         kind == TypeKind::kDecimal;
}

std::string ColumnType::ToString() const {
  switch (kind) {
    case TypeKind::kBoolean:
      return "BOOLEAN";
    case TypeKind::kTinyInt:
      return "TINYINT";
    case TypeKind::kSmallInt:
      return "SMALLINT";
    case TypeKind::kInt:
      return "INT";
    case TypeKind::kBigInt:
      return "BIGINT";
    case TypeKind::kLargeInt:
      return "LARGEINT";
    case TypeKind::kFloat:
      return "FLOAT";
    case TypeKind::kDouble:
      return "DOUBLE";
    case TypeKind::kDecimal:
      return absl::StrCat("DECIMAL(", precision, ",", scale, ")");
    case TypeKind::kChar:
      return absl::StrCat("CHAR(", length, ")");
    case TypeKind::kVarchar:
      return absl::StrCat("VARCHAR(", length, ")");
    case TypeKind::kString:
      return "STRING";
    case TypeKind::kDate:
      return "DATE";
    case TypeKind::kDatetime:
      return "DATETIME";
    case TypeKind::kJson:
      return "JSON";
    case TypeKind::kVarbinary:
      return "VARBINARY";
    case TypeKind::kArray:
      return absl::StrCat("ARRAY<", element ? element->ToString() : "?", ">");
  }
  return "?";
}

absl::StatusOr<ColumnType> ParseColumnType(std::string_view whole) {
  std::string_view text = Trim(whole);
  if (text.empty()) return BadType(whole, "empty");
  std::string upper = absl::AsciiStrToUpper(AsAbsl(text));
  ColumnType type;

  if (upper.rfind("ARRAY", 0) == 0) {
    std::string_view rest = Trim(text.substr(5));
    if (rest.size() < 2 || rest.front() != '<' || rest.back() != '>') {
      return BadType(whole, "expected ARRAY<type>");
    }
    auto element = ParseColumnType(rest.substr(1, rest.size() - 2));
    if (!element.ok()) return element.status();
    type.kind = TypeKind::kArray;
    type.element = std::make_shared<const ColumnType>(*std::move(element));
    return type;
  }

  std::string_view name;
  std::vector<std::string_view> args;
  if (auto st = SplitArgs(upper, whole, &name, &args); !st.ok()) return st;
  std::vector<int> numbers;
  for (std::string_view arg : args) {
    auto n = ParseInt(arg, whole);
    if (!n.ok()) return n.status();
    numbers.push_back(*n);
  }
  auto no_args = [&]() -> absl::Status {
    return numbers.empty() ? absl::OkStatus() : BadType(whole, "takes no arguments");
  };

  struct Simple {
    std::string_view name;
    TypeKind kind;
  };
  static constexpr Simple kSimple[] = {
      {"BOOLEAN", TypeKind::kBoolean}, {"BOOL", TypeKind::kBoolean},
      {"TINYINT", TypeKind::kTinyInt}, {"SMALLINT", TypeKind::kSmallInt},
      {"INT", TypeKind::kInt},         {"INTEGER", TypeKind::kInt},
      {"BIGINT", TypeKind::kBigInt},   {"LARGEINT", TypeKind::kLargeInt},
      {"FLOAT", TypeKind::kFloat},     {"DOUBLE", TypeKind::kDouble},
      {"DATE", TypeKind::kDate},       {"DATETIME", TypeKind::kDatetime},
      {"JSON", TypeKind::kJson},
  };
  for (const Simple& s : kSimple) {
    if (name == s.name) {
      if (auto st = no_args(); !st.ok()) return st;
      type.kind = s.kind;
      return type;
    }
  }
  if (name == "STRING" || name == "TEXT") {
    if (auto st = no_args(); !st.ok()) return st;
    type.kind = TypeKind::kString;
    type.length = kStringLength;
    return type;
  }
  if (name == "VARBINARY" || name == "BINARY") {
    if (numbers.size() > 1) return BadType(whole, "takes at most one argument");
    type.kind = TypeKind::kVarbinary;
    type.length = numbers.empty() ? kMaxVarcharLength : numbers[0];
    if (type.length < 1 || type.length > kMaxVarcharLength) return BadType(whole, "bad length");
    return type;
  }
  if (name == "CHAR" || name == "VARCHAR") {
    if (numbers.size() > 1) return BadType(whole, "takes at most one argument");
    type.kind = name == "CHAR" ? TypeKind::kChar : TypeKind::kVarchar;
    type.length = numbers.empty() ? 1 : numbers[0];
    int max = type.kind == TypeKind::kChar ? 255 : kMaxVarcharLength;
    if (type.length < 1 || type.length > max) return BadType(whole, "bad length");
    return type;
  }
  if (name == "DECIMAL" || name == "DECIMALV3" || name == "DECIMAL32" || name == "DECIMAL64" ||
      name == "DECIMAL128" || name == "NUMERIC") {
    if (numbers.size() > 2) return BadType(whole, "takes at most two arguments");
    type.kind = TypeKind::kDecimal;
    type.precision = numbers.empty() ? 10 : numbers[0];
    type.scale = numbers.size() < 2 ? 0 : numbers[1];
    if (type.precision < 1 || type.precision > kMaxDecimalPrecision) {
      return BadType(whole, "precision must be 1..38");
    }
    if (type.scale < 0 || type.scale > type.precision) {
      return BadType(whole, "scale must be 0..precision");
    }
    return type;
  }
  return BadType(whole, "unknown type");
}

}  // namespace dbmazz::starrocks_emulator
