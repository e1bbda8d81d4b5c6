#include "tests/support/starrocks_emulator/row_codec.h"

#include <cstdint>

namespace dbmazz::starrocks_emulator {
namespace {

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view s, size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= s.size()) return false;
    auto byte = static_cast<uint8_t>(s[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

void AppendNullCell(std::string* row) { row->push_back('\0'); }

void AppendCell(std::string* row, std::string_view value) {
  AppendVarint(row, value.size() + 1);
  row->append(value);
}

void EndLongCell(std::string* row, size_t cell_start) {
  uint64_t n = row->size() - cell_start;  // Value length + 1.
  char prefix[10];
  size_t length = 0;
  while (n >= 0x80) {
    prefix[length++] = static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  prefix[length++] = static_cast<char>(n);
  row->replace(cell_start, 1, prefix, length);
}

bool DecodeRow(std::string_view row, size_t count, std::vector<CellView>* cells) {
  cells->clear();
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t n = 0;
    if (!ReadVarint(row, &pos, &n)) return false;
    if (n == 0) {
      cells->push_back(std::nullopt);
      continue;
    }
    if (n - 1 > row.size() - pos) return false;
    cells->push_back(row.substr(pos, n - 1));
    pos += n - 1;
  }
  return pos == row.size();
}

size_t PrefixLength(std::string_view row, size_t count) {
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t n = 0;
    if (!ReadVarint(row, &pos, &n)) return std::string_view::npos;
    if (n > 0) {
      if (n - 1 > row.size() - pos) return std::string_view::npos;
      pos += n - 1;
    }
  }
  return pos;
}

std::string EncodeRow(const std::vector<CellView>& cells) {
  std::string row;
  for (const CellView& cell : cells) {
    if (cell) {
      AppendCell(&row, *cell);
    } else {
      AppendNullCell(&row);
    }
  }
  return row;
}

}  // namespace dbmazz::starrocks_emulator
