#include "engine/snapshot/copy_row_parser.h"

#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace dbmazz::snapshot {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// Unescapes one field (it holds a backslash) into `out`; returns the end.
absl::StatusOr<char*> Unescape(std::string_view field, char* out) {
  size_t i = 0;
  while (i < field.size()) {
    char c = field[i++];
    if (c != '\\') {
      *out++ = c;
      continue;
    }
    if (i == field.size()) return absl::DataLossError("COPY row ends with a lone backslash");
    char e = field[i++];
    switch (e) {
      case 'b':
        *out++ = '\b';
        break;
      case 'f':
        *out++ = '\f';
        break;
      case 'n':
        *out++ = '\n';
        break;
      case 'r':
        *out++ = '\r';
        break;
      case 't':
        *out++ = '\t';
        break;
      case 'v':
        *out++ = '\v';
        break;
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && i < field.size() && HexValue(field[i]) >= 0) {
          value = value * 16 + HexValue(field[i++]);
          ++digits;
        }
        // "\x" not followed by a hex digit is a plain x.
        *out++ = digits == 0 ? 'x' : static_cast<char>(value);
        break;
      }
      default:
        if (IsOctal(e)) {
          int value = e - '0';
          for (int digits = 1; digits < 3 && i < field.size() && IsOctal(field[i]); ++digits) {
            value = value * 8 + (field[i++] - '0');
          }
          *out++ = static_cast<char>(value & 0xff);
        } else {
          *out++ = e;  // \\ and any other escaped character
        }
    }
  }
  return out;
}

}  // namespace

absl::Status CopyRowParser::Parse(std::string_view row, size_t columns, pgoutput::TupleData* out) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  out->columns.resize(columns);
  if (columns == 0) {
    if (row.empty()) return absl::OkStatus();
    return absl::DataLossError("COPY row has data for a table without columns");
  }
  // Fields without a backslash (most) are views into `row`; the others are
  // unescaped into the buffer. Unescaping never lengthens a value, so the
  // buffer (sized once) never reallocates while views into it are out.
  bool buffer_sized = false;
  char* written = nullptr;
  const char* p = row.data();
  const char* const end = p + row.size();
  size_t column = 0;
  while (true) {
    if (column == columns) {
      return absl::DataLossError(
          absl::StrCat("COPY row has more than the expected ", columns, " columns"));
    }
    // A tab inside a value is always escaped ("\t"), so the next tab byte
    // ends the field.
    const char* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<size_t>(end - p)));
    const char* field_end = tab == nullptr ? end : tab;
    std::string_view field(p, static_cast<size_t>(field_end - p));
    pgoutput::ColumnValue& value = out->columns[column++];
    if (std::memchr(field.data(), '\\', field.size()) == nullptr) {
      value.kind = pgoutput::ColumnKind::kText;
      value.data = field;
    } else if (field == "\\N") {
      value.kind = pgoutput::ColumnKind::kNull;
      value.data = {};
    } else {
      if (!buffer_sized) {
        buffer_.resize(row.size());
        written = buffer_.data();
        buffer_sized = true;
      }
      absl::StatusOr<char*> value_end = Unescape(field, written);
      if (!value_end.ok()) return value_end.status();
      value.kind = pgoutput::ColumnKind::kText;
      value.data = std::string_view(written, static_cast<size_t>(*value_end - written));
      written = *value_end;
    }
    if (tab == nullptr) break;
    p = tab + 1;
  }
  if (column != columns) {
    return absl::DataLossError(
        absl::StrCat("COPY row has ", column, " columns, expected ", columns));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::snapshot
