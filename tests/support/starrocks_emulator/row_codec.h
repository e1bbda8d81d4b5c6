// Compact row encoding used by the emulator's table store: each cell is a
// varint n followed by n-1 bytes of canonical text; n == 0 means NULL. Key
// columns lead the schema, so a row's key is a prefix of its encoding.
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CODEC_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CODEC_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbmazz::starrocks_emulator {

using CellView = std::optional<std::string_view>;  // nullopt is NULL.

void AppendNullCell(std::string* row);
void AppendCell(std::string* row, std::string_view value);

// Writing a cell's value straight into the row: BeginCell reserves the length
// prefix and returns where the cell starts; append the value's bytes, then
// EndCell fills the prefix in (the same bytes as AppendCell). To abandon the
// cell, resize the row back to what BeginCell returned.
[[nodiscard]] inline size_t BeginCell(std::string* row) {
  size_t start = row->size();
  row->push_back('\0');  // One byte of prefix: enough for values up to 126 bytes.
  return start;
}
void EndLongCell(std::string* row, size_t cell_start);  // EndCell's slow path.
inline void EndCell(std::string* row, size_t cell_start) {
  size_t n = row->size() - cell_start;  // Value length + 1.
  if (n < 0x80) {
    (*row)[cell_start] = static_cast<char>(n);
  } else {
    EndLongCell(row, cell_start);
  }
}

// Decodes `count` cells of `row` into *cells (views into `row`). Returns false
// if the encoding is truncated or has trailing bytes.
[[nodiscard]] bool DecodeRow(std::string_view row, size_t count, std::vector<CellView>* cells);

// Length of the encoding of the first `count` cells (the key prefix), or
// std::string_view::npos if the row is too short.
[[nodiscard]] size_t PrefixLength(std::string_view row, size_t count);

// Re-encodes cells into a row.
[[nodiscard]] std::string EncodeRow(const std::vector<CellView>& cells);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_CODEC_H_
