#include "engine/postgres/identifiers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::postgres {
namespace {

bool NeedsQuotes(std::string_view name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return true;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return true;
  }
  return false;
}

absl::Status CheckPart(std::string_view text, std::string_view part) {
  if (part.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table name \"", AsAbsl(text), "\": empty name"));
  }
  if (part.size() > kMaxIdentifierBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("table name \"", AsAbsl(text), "\": identifier longer than 63 bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string TableName::Quoted() const {
  return absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(name));
}

std::string TableName::Display() const {
  auto part = [](const std::string& p) { return NeedsQuotes(p) ? QuoteIdentifier(p) : p; };
  return absl::StrCat(part(schema), ".", part(name));
}

absl::StatusOr<TableName> ParseTableName(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("table name contains a NUL byte");
  }
  std::vector<std::string> parts;
  size_t i = 0;
  while (true) {
    std::string part;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            part.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        part.push_back(text[i++]);
      }
      if (!closed) {
        return absl::InvalidArgumentError(
            absl::StrCat("table name \"", AsAbsl(text), "\": unterminated quoted identifier"));
      }
    } else {
      while (i < text.size() && text[i] != '.') {
        char c = text[i++];
        if (c == '"' || c == ' ' || c == '\t' || c == '\n') {
          return absl::InvalidArgumentError(absl::StrCat(
              "table name \"", AsAbsl(text),
              "\": unquoted names may not contain quotes or spaces (use \"Quoted Name\")"));
        }
        part.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
      }
    }
    if (absl::Status s = CheckPart(text, part); !s.ok()) return s;
    parts.push_back(std::move(part));
    if (i == text.size()) break;
    if (text[i] != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("table name \"", AsAbsl(text), "\": expected '.' after quoted identifier"));
    }
    ++i;
    if (i == text.size()) return CheckPart(text, "");
  }
  if (parts.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("table name \"", AsAbsl(text), "\": expected table or schema.table"));
  }
  TableName out;
  if (parts.size() == 2) {
    out.schema = std::move(parts[0]);
    out.name = std::move(parts[1]);
  } else {
    out.name = std::move(parts[0]);
  }
  return out;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteLiteral(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

absl::Status ValidateSlotName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot name \"", AsAbsl(name), "\" must be 1 to 63 characters"));
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "slot name \"", AsAbsl(name), "\" may contain only lower-case letters, digits and '_'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdentifier(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes ||
      name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " \"", AsAbsl(name),
                                                   "\" must be 1 to 63 bytes with no NUL byte"));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::postgres
