#include "tests/support/starrocks_emulator/row_converter.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/json_row_reader.h"
#include "tests/support/starrocks_emulator/row_codec.h"
#include "tests/support/starrocks_emulator/value_converter.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

constexpr size_t kMaxErrorLines = 1000;

// What a row created by a partial update gets in a NOT NULL column without a
// default that the load does not write.
std::string ZeroValue(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kDecimal:
      return type.scale == 0 ? "0" : absl::StrCat("0.", std::string(type.scale, '0'));
    case TypeKind::kChar:
    case TypeKind::kVarchar:
    case TypeKind::kString:
    case TypeKind::kVarbinary:
      return "";
    case TypeKind::kDate:
      return "1970-01-01";
    case TypeKind::kDatetime:
      return "1970-01-01 00:00:00";
    case TypeKind::kJson:
      return "{}";
    case TypeKind::kArray:
      return "[]";
    default:
      return "0";
  }
}

// __op: 0 upsert, 1 delete. nullopt for anything else.
std::optional<bool> ParseOp(const RawValue& v) {
  switch (v.kind) {
    case RawKind::kNull:
      return false;
    case RawKind::kInt:
      if (v.int_value == 0 || v.int_value == 1) return v.int_value == 1;
      return std::nullopt;
    case RawKind::kUint:
      if (v.uint_value <= 1) return v.uint_value == 1;
      return std::nullopt;
    case RawKind::kString: {
      std::string_view s = TrimSpace(v.text);
      if (s == "0" || s == "1") return s == "1";
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<LoadPlan> MakeLoadPlan(const TableSpec& spec, const LoadOptions& options) {
  LoadPlan plan;
  plan.spec = &spec;
  plan.strict_mode = options.strict_mode;
  plan.strip_outer_array = options.strip_outer_array;
  const bool primary = spec.model == KeyModel::kPrimary;
  plan.slot_of_column.assign(spec.columns.size(), -1);

  if (options.partial_update && !primary) {
    return absl::InvalidArgumentError("Only primary key table support partial update");
  }
  if (options.columns) {
    for (const std::string& name : *options.columns) {
      int slot = static_cast<int>(plan.slot_names.size());
      if (primary && absl::EqualsIgnoreCase(name, "__op")) {
        plan.op_slot = slot;
        plan.slot_names.push_back(name);
        continue;
      }
      int column = spec.FindColumn(name);
      if (column < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("Unknown column '", name, "' in '", spec.name, "'"));
      }
      if (plan.slot_of_column[column] >= 0) {
        return absl::InvalidArgumentError(absl::StrCat("Duplicate column: ", name));
      }
      plan.slot_of_column[column] = slot;
      plan.slot_names.push_back(spec.columns[column].name);
    }
  } else {
    for (size_t c = 0; c < spec.columns.size(); ++c) {
      plan.slot_of_column[c] = static_cast<int>(plan.slot_names.size());
      plan.slot_names.push_back(spec.columns[c].name);
    }
  }
  // JSON loads pick "__op" up by name on primary key tables.
  if (primary && plan.op_slot < 0) {
    plan.op_slot = static_cast<int>(plan.slot_names.size());
    plan.slot_names.push_back("__op");
  }

  plan.written_columns.assign(spec.columns.size(), true);
  if (options.partial_update && options.columns) {
    plan.partial_update = true;
    for (size_t c = 0; c < spec.columns.size(); ++c) {
      plan.written_columns[c] = plan.slot_of_column[c] >= 0;
    }
    for (int k = 0; k < spec.key_count; ++k) {
      if (!plan.written_columns[k]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "partial update must include all key columns, missing: ", spec.columns[k].name));
      }
    }
  }

  if (!options.merge_condition.empty()) {
    if (!primary) {
      return absl::InvalidArgumentError("Conditional update only support primary key table");
    }
    int column = spec.FindColumn(options.merge_condition);
    if (column < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Merge condition column ", options.merge_condition, " does not exist"));
    }
    if (column < spec.key_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("Merge condition column can not be primary key: ", options.merge_condition));
    }
    plan.merge_column = column;
  }
  return plan;
}

absl::StatusOr<ConvertedLoad> ConvertBody(const LoadPlan& plan, std::string_view body) {
  const TableSpec& spec = *plan.spec;
  ConvertedLoad out;
  JsonRowReader reader(plan.slot_names);
  // Rows are encoded straight into the batch; a filtered row is dropped.
  std::string* encoded = out.ops.buffer();

  auto on_row = [&](const JsonRowReader::Row& row) {
    ++out.total_rows;
    std::string reason;
    bool is_delete = false;
    if (plan.op_slot >= 0 && row.present[plan.op_slot]) {
      auto op = ParseOp(row.values[plan.op_slot]);
      if (op) {
        is_delete = *op;
      } else {
        reason = absl::StrCat("Invalid __op value ", row.values[plan.op_slot].ToJson(),
                              ", it must be 0 (upsert) or 1 (delete)");
      }
    }
    for (size_t c = 0; c < spec.columns.size() && reason.empty(); ++c) {
      const ColumnSpec& column = spec.columns[c];
      int slot = plan.slot_of_column[c];
      const RawValue* value = nullptr;
      if (slot >= 0 && row.present[slot] && row.values[slot].kind != RawKind::kNull) {
        value = &row.values[slot];
      }
      if (value == nullptr) {
        bool absent = slot < 0 || !row.present[slot];
        if (plan.partial_update && !plan.written_columns[c]) {
          if (column.default_value) {
            AppendCell(encoded, *column.default_value);
          } else if (column.not_null) {
            AppendCell(encoded, ZeroValue(column.type));
          } else {
            AppendNullCell(encoded);
          }
        } else if (absent && column.default_value) {
          AppendCell(encoded, *column.default_value);
        } else if (column.not_null) {
          reason = absl::StrCat("NULL value in non-nullable column '", column.name, "'");
        } else {
          AppendNullCell(encoded);
        }
        continue;
      }
      size_t cell = BeginCell(encoded);
      absl::Status st = ConvertValue(column.type, column.name, *value, encoded);
      if (st.ok()) {
        EndCell(encoded, cell);
        continue;
      }
      encoded->resize(cell);
      if (plan.strict_mode) {
        reason = std::string(st.message());
      } else if (column.not_null) {
        reason =
            absl::StrCat(st.message(), " (NULL value in non-nullable column '", column.name, "')");
      } else {
        AppendNullCell(encoded);
      }
    }
    if (!reason.empty()) {
      out.ops.DropRow();
      ++out.filtered_rows;
      if (out.error_lines.size() < kMaxErrorLines) {
        out.error_lines.push_back(
            absl::StrCat("Error: ", reason, ". Row: ", reader.RowToJson(row)));
      }
      return;
    }
    out.ops.FinishRow(is_delete);
  };

  // The reader's fast path delivers rows as it reads; if it has to hand the
  // body to the general reader part way, everything is read again from the
  // first row: back to the empty state the conversion started from.
  auto on_restart = [&] {
    out.ops.Clear();
    out.total_rows = 0;
    out.filtered_rows = 0;
    out.error_lines.clear();
  };

  absl::Status st = reader.Read(body, plan.strip_outer_array, on_row, on_restart);
  if (!st.ok()) return st;
  return out;
}

}  // namespace dbmazz::starrocks_emulator
