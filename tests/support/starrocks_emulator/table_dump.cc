#include "tests/support/starrocks_emulator/table_dump.h"

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "tests/support/starrocks_emulator/row_codec.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

using OrderedJson = nlohmann::ordered_json;

OrderedJson CellToJson(const ColumnType& type, const CellView& cell) {
  if (!cell) return nullptr;
  std::string text(*cell);
  switch (type.kind) {
    case TypeKind::kBoolean:
      return text == "1";
    case TypeKind::kTinyInt:
    case TypeKind::kSmallInt:
    case TypeKind::kInt:
    case TypeKind::kBigInt:
      if (auto v = ParseInt128(text)) return static_cast<int64_t>(*v);
      return text;
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      if (auto v = ParseDouble(text)) return *v;
      return text;
    case TypeKind::kJson:
    case TypeKind::kArray: {
      OrderedJson parsed = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) return parsed;
      return text;
    }
    default:
      return text;
  }
}

uint64_t Fnv1a64(std::string_view data) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

OrderedJson RowToJson(const TableSpec& spec, std::string_view row) {
  std::vector<CellView> cells;
  OrderedJson out = OrderedJson::object();
  if (!DecodeRow(row, spec.columns.size(), &cells)) return out;
  for (size_t i = 0; i < cells.size(); ++i) {
    out[spec.columns[i].name] = CellToJson(spec.columns[i].type, cells[i]);
  }
  return out;
}

OrderedJson DumpTable(const TableData& table) {
  const TableSpec& spec = table.spec();
  OrderedJson out;
  out["database"] = spec.database;
  out["table"] = spec.name;
  out["keys"] = spec.model == KeyModel::kPrimary ? "PRIMARY" : "DUPLICATE";
  OrderedJson columns = OrderedJson::array();
  for (const ColumnSpec& c : spec.columns) columns.push_back(c.name);
  out["columns"] = std::move(columns);
  OrderedJson rows = OrderedJson::array();
  for (const std::string& row : table.SortedRows()) rows.push_back(RowToJson(spec, row));
  out["row_count"] = rows.size();
  out["rows"] = std::move(rows);
  return out;
}

std::string TableChecksum(const TableData& table) {
  const TableSpec& spec = table.spec();
  uint64_t sum = 0;
  std::vector<CellView> cells;
  for (const std::string& row : table.SortedRows()) {
    if (!DecodeRow(row, spec.columns.size(), &cells)) continue;
    OrderedJson array = OrderedJson::array();
    for (size_t i = 0; i < cells.size(); ++i) {
      array.push_back(CellToJson(spec.columns[i].type, cells[i]));
    }
    sum += Fnv1a64(array.dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, sum);
  return buf;
}

}  // namespace dbmazz::starrocks_emulator
