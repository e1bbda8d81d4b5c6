#include "engine/snapshot/copy_row_parser.h"

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

}  // namespace

absl::Status CopyRowParser::Parse(std::string_view row, size_t columns, pgoutput::TupleData* out) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  // Unescaping never lengthens a value, so the buffer never reallocates
  // while views into it are handed out.
  buffer_.resize(row.size());
  out->columns.resize(columns);
  if (columns == 0) {
    if (row.empty()) return absl::OkStatus();
    return absl::DataLossError("COPY row has data for a table without columns");
  }
  size_t column = 0;
  size_t i = 0;
  size_t written = 0;
  while (true) {
    if (column == columns) {
      return absl::DataLossError(
          absl::StrCat("COPY row has more than the expected ", columns, " columns"));
    }
    // One field: up to the next unescaped tab or the end of the row.
    size_t field_start = i;
    size_t value_start = written;
    bool escaped = false;
    while (i < row.size() && row[i] != '\t') {
      char c = row[i++];
      if (c != '\\') {
        buffer_[written++] = c;
        continue;
      }
      escaped = true;
      if (i == row.size()) return absl::DataLossError("COPY row ends with a lone backslash");
      char e = row[i++];
      switch (e) {
        case 'b':
          buffer_[written++] = '\b';
          break;
        case 'f':
          buffer_[written++] = '\f';
          break;
        case 'n':
          buffer_[written++] = '\n';
          break;
        case 'r':
          buffer_[written++] = '\r';
          break;
        case 't':
          buffer_[written++] = '\t';
          break;
        case 'v':
          buffer_[written++] = '\v';
          break;
        case 'x': {
          int value = 0;
          int digits = 0;
          while (digits < 2 && i < row.size() && HexValue(row[i]) >= 0) {
            value = value * 16 + HexValue(row[i++]);
            ++digits;
          }
          if (digits == 0) {
            buffer_[written++] = 'x';  // "\x" not followed by a hex digit is a plain x
          } else {
            buffer_[written++] = static_cast<char>(value);
          }
          break;
        }
        default:
          if (IsOctal(e)) {
            int value = e - '0';
            for (int digits = 1; digits < 3 && i < row.size() && IsOctal(row[i]); ++digits) {
              value = value * 8 + (row[i++] - '0');
            }
            buffer_[written++] = static_cast<char>(value & 0xff);
          } else {
            buffer_[written++] = e;  // \\ and any other escaped character
          }
      }
    }
    std::string_view raw = row.substr(field_start, i - field_start);
    pgoutput::ColumnValue& value = out->columns[column++];
    if (escaped && raw == "\\N") {
      value.kind = pgoutput::ColumnKind::kNull;
      value.data = {};
    } else {
      value.kind = pgoutput::ColumnKind::kText;
      value.data = std::string_view(buffer_.data() + value_start, written - value_start);
    }
    if (i == row.size()) break;
    ++i;  // the tab
  }
  if (column != columns) {
    return absl::DataLossError(
        absl::StrCat("COPY row has ", column, " columns, expected ", columns));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::snapshot
