#include "engine/sink/row_encoder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/sink/json_text.h"
#include "engine/sink/sql_identifier.h"
#include "engine/sink/value_encoder.h"

namespace dbmazz::sink {
namespace {

using pgoutput::ColumnKind;
using pgoutput::ColumnValue;
using pgoutput::Relation;
using pgoutput::TupleData;

absl::Status InColumn(const absl::Status& st, std::string_view column) {
  return absl::Status(st.code(), absl::StrCat("column \"", AsAbsl(column), "\": ", st.message()));
}

absl::Status CheckWidth(const Relation& rel, const TupleData& tuple, std::string_view what) {
  if (tuple.columns.size() != rel.columns.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(what), " has ", tuple.columns.size(), " columns but relation ",
                     AsAbsl(rel.schema), ".", AsAbsl(rel.name), " has ", rel.columns.size()));
  }
  return absl::OkStatus();
}

bool SameValue(const ColumnValue& a, const ColumnValue& b) {
  return a.kind == b.kind && a.data == b.data;
}

}  // namespace

void RowEncoder::ClearCache() {
  plans_.clear();
  last_plan_ = nullptr;
}

absl::StatusOr<const RowEncoder::RelationPlan*> RowEncoder::PlanFor(const Relation& rel) {
  const auto matches = [&rel](const RelationPlan* p) {
    return p->id == rel.id && p->generation == rel.generation &&
           p->columns.size() == rel.columns.size();
  };
  if (last_plan_ != nullptr && matches(last_plan_)) return last_plan_;
  if (auto it = plans_.find(rel.id); it != plans_.end() && matches(it->second.get())) {
    last_plan_ = it->second.get();
    return last_plan_;
  }

  auto plan = std::make_unique<RelationPlan>();
  plan->id = rel.id;
  plan->generation = rel.generation;
  plan->columns.resize(rel.columns.size());
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const Relation::Column& col = rel.columns[i];
    ColumnPlan& cp = plan->columns[i];
    if (col.name == kOpColumn || col.name.starts_with(kHexKeyPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("column name \"", col.name, "\" is reserved by the StarRocks sink"));
    }
    cp.mapping = MapPostgresType(col.type_oid, col.type_modifier, options_);
    std::string key = cp.mapping.value.encoding == JsonEncoding::kBinaryHex
                          ? absl::StrCat(AsAbsl(kHexKeyPrefix), col.name)
                          : col.name;
    if (!AppendJsonString(key, &cp.json_key)) {
      return absl::InvalidArgumentError("column name is not valid UTF-8");
    }
    cp.json_key.push_back(':');
  }
  for (int k : rel.key_columns) {
    if (k < 0 || static_cast<size_t>(k) >= plan->columns.size()) {
      return absl::InvalidArgumentError("relation key column index out of range");
    }
    plan->columns[static_cast<size_t>(k)].is_key = true;
  }
  auto& slot = plans_[rel.id];
  slot = std::move(plan);
  last_plan_ = slot.get();
  return last_plan_;
}

absl::Status RowEncoder::AppendValue(const ColumnPlan& column, const ColumnValue& value,
                                     std::string* out, EncodeStats* stats) {
  switch (value.kind) {
    case ColumnKind::kNull:
      out->append("null");
      return absl::OkStatus();
    case ColumnKind::kText:
      if (column.mapping.value.encoding == JsonEncoding::kArray) {
        return array_encoder_.Append(column.mapping.element, value.data, out, stats);
      }
      return AppendScalarValue(column.mapping.value, value.data, out, stats);
    case ColumnKind::kBinary:
      return absl::UnimplementedError("binary-format values are not supported (use binary off)");
    case ColumnKind::kUnchangedToast:
      break;
  }
  return absl::InternalError("unchanged TOAST value reached the value encoder");
}

absl::Status RowEncoder::AppendUpsert(const Relation& rel, const TupleData& new_tuple,
                                      const TupleData* old_tuple, char old_kind, std::string* out,
                                      ColumnMask* columns_written, EncodeStats* stats) {
  absl::StatusOr<const RelationPlan*> plan_or = PlanFor(rel);
  if (!plan_or.ok()) return plan_or.status();
  const RelationPlan& plan = **plan_or;
  if (absl::Status st = CheckWidth(rel, new_tuple, "new tuple"); !st.ok()) return st;
  if (old_kind != 'K' && old_kind != 'O') old_tuple = nullptr;
  if (old_tuple != nullptr) {
    if (absl::Status st = CheckWidth(rel, *old_tuple, "old tuple"); !st.ok()) return st;
  }
  if (columns_written != nullptr) columns_written->Reset(plan.columns.size());

  EncodeStats local;
  const size_t start = out->size();
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    const ColumnPlan& column = plan.columns[i];
    const ColumnValue* value = &new_tuple.columns[i];
    if (value->kind == ColumnKind::kUnchangedToast) {
      const ColumnValue* old = old_tuple != nullptr ? &old_tuple->columns[i] : nullptr;
      const bool old_usable =
          old != nullptr && old->kind != ColumnKind::kUnchangedToast &&
          (old_kind == 'O' || (column.is_key && old->kind != ColumnKind::kNull));
      if (old_usable) {
        value = old;
      } else if (column.is_key) {
        out->resize(start);
        return absl::FailedPreconditionError(
            absl::StrCat("column \"", rel.columns[i].name,
                         "\": key value is an unchanged TOAST value and no old key was sent"));
      } else {
        ++local.toast_omitted;
        continue;
      }
    }
    if (!first) out->push_back(',');
    first = false;
    out->append(column.json_key);
    if (absl::Status st = AppendValue(column, *value, out, &local); !st.ok()) {
      out->resize(start);
      if (columns_written != nullptr) columns_written->Reset(plan.columns.size());
      return InColumn(st, rel.columns[i].name);
    }
    if (columns_written != nullptr) columns_written->Set(i);
  }
  out->append(first ? "\"__op\":0}" : ",\"__op\":0}");
  ++local.rows_upserted;
  stats->Add(local);
  return absl::OkStatus();
}

absl::Status RowEncoder::AppendDelete(const Relation& rel, const TupleData& key_or_old_tuple,
                                      std::string* out, EncodeStats* stats,
                                      ColumnMask* columns_written) {
  absl::StatusOr<const RelationPlan*> plan_or = PlanFor(rel);
  if (!plan_or.ok()) return plan_or.status();
  const RelationPlan& plan = **plan_or;
  if (absl::Status st = CheckWidth(rel, key_or_old_tuple, "old tuple"); !st.ok()) return st;
  if (rel.key_columns.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "relation ", rel.schema, ".", rel.name, " has no key columns; cannot encode a delete"));
  }
  if (columns_written != nullptr) columns_written->Reset(plan.columns.size());

  EncodeStats local;
  const size_t start = out->size();
  out->push_back('{');
  for (int k : rel.key_columns) {
    const size_t i = static_cast<size_t>(k);
    const ColumnValue& value = key_or_old_tuple.columns[i];
    if (value.kind == ColumnKind::kUnchangedToast) {
      out->resize(start);
      return absl::FailedPreconditionError(
          absl::StrCat("column \"", rel.columns[i].name, "\": key value not sent"));
    }
    out->append(plan.columns[i].json_key);
    if (absl::Status st = AppendValue(plan.columns[i], value, out, &local); !st.ok()) {
      out->resize(start);
      return InColumn(st, rel.columns[i].name);
    }
    out->push_back(',');
    if (columns_written != nullptr) columns_written->Set(i);
  }
  out->append("\"__op\":1}");
  ++local.rows_deleted;
  stats->Add(local);
  return absl::OkStatus();
}

absl::Status RowEncoder::AppendColumnsHeader(const Relation& rel, const ColumnMask& columns,
                                             std::string* out) {
  absl::StatusOr<const RelationPlan*> plan_or = PlanFor(rel);
  if (!plan_or.ok()) return plan_or.status();
  const RelationPlan& plan = **plan_or;
  if (columns.width() != plan.columns.size()) {
    return absl::InvalidArgumentError("column mask width does not match the relation");
  }
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    if (!columns.Test(i)) continue;
    const std::string& name = rel.columns[i].name;
    if (plan.columns[i].mapping.value.encoding == JsonEncoding::kBinaryHex) {
      const std::string hex_name = absl::StrCat(AsAbsl(kHexKeyPrefix), name);
      AppendQuotedIdentifier(hex_name, out);
      out->push_back(',');
      AppendQuotedIdentifier(name, out);
      out->append("=hex_decode_binary(");
      AppendQuotedIdentifier(hex_name, out);
      out->push_back(')');
    } else {
      AppendQuotedIdentifier(name, out);
    }
    out->push_back(',');
  }
  out->append(kOpColumn);
  return absl::OkStatus();
}

absl::StatusOr<bool> KeyChanged(const Relation& rel, const pgoutput::UpdateMessage& update) {
  return KeyChanged(rel.key_columns, rel.columns.size(), update);
}

absl::StatusOr<bool> KeyChanged(std::span<const int> key_columns, size_t width,
                                const pgoutput::UpdateMessage& update) {
  if (update.old_kind != 'K' && update.old_kind != 'O') return false;
  if (update.old_tuple.columns.size() != width || update.new_tuple.columns.size() != width) {
    return absl::InvalidArgumentError("update tuples do not match the relation's width");
  }
  for (int k : key_columns) {
    if (k < 0 || static_cast<size_t>(k) >= width) {
      return absl::InvalidArgumentError("key column index out of range");
    }
    const ColumnValue& old_value = update.old_tuple.columns[static_cast<size_t>(k)];
    const ColumnValue& new_value = update.new_tuple.columns[static_cast<size_t>(k)];
    if (new_value.kind == ColumnKind::kUnchangedToast ||
        old_value.kind == ColumnKind::kUnchangedToast) {
      continue;  // unchanged by definition
    }
    if (!SameValue(old_value, new_value)) return true;
  }
  return false;
}

}  // namespace dbmazz::sink
