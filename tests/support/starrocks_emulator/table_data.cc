#include "tests/support/starrocks_emulator/table_data.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "tests/support/starrocks_emulator/row_codec.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

// NULL sorts first.
int CompareCells(const ColumnType& type, const CellView& a, const CellView& b) {
  if (!a || !b) return a ? 1 : (b ? -1 : 0);
  return CompareCanonical(type, *a, *b);
}

}  // namespace

TableData::TableData(TableSpec spec)
    : spec_(std::move(spec)), index_(0, EntryHash{}, EntryEq{this}) {}

TableData::KeyProbe TableData::Probe(std::string_view key) {
  uint64_t h = absl::HashOf(key);
  return KeyProbe{key, static_cast<uint32_t>(h ^ (h >> 32))};
}

std::string_view TableData::KeyOf(uint32_t slot) const {
  std::string_view row = rows_[slot];
  size_t length = PrefixLength(row, spec_.key_count);
  return length == std::string_view::npos ? row : row.substr(0, length);
}

bool TableData::EntryEq::operator()(const IndexEntry& a, const KeyProbe& p) const {
  return a.hash == p.hash && table->KeyOf(a.slot) == p.key;
}

void TableData::Apply(std::vector<RowOp>&& ops, const ApplyOptions& options) {
  for (RowOp& op : ops) {
    if (spec_.model == KeyModel::kDuplicate) {
      if (!op.is_delete) rows_.push_back(std::move(op.row));
      continue;
    }
    if (op.is_delete) {
      size_t key_length = PrefixLength(op.row, spec_.key_count);
      if (key_length != std::string::npos) Erase(std::string_view(op.row).substr(0, key_length));
      continue;
    }
    Upsert(std::move(op.row), options);
  }
}

void TableData::Erase(std::string_view key) {
  auto it = index_.find(Probe(key));
  if (it == index_.end()) return;
  uint32_t slot = it->slot;
  index_.erase(it);
  std::string().swap(rows_[slot]);
  free_slots_.push_back(slot);
}

void TableData::Upsert(std::string&& row, const ApplyOptions& options) {
  size_t key_length = PrefixLength(row, spec_.key_count);
  if (key_length == std::string::npos) return;
  KeyProbe probe = Probe(std::string_view(row).substr(0, key_length));
  bool inserted = false;
  auto it = index_.lazy_emplace(probe, [&](const auto& construct) {
    inserted = true;
    uint32_t slot;
    if (free_slots_.empty()) {
      slot = static_cast<uint32_t>(rows_.size());
      rows_.emplace_back();
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
    }
    construct(IndexEntry{probe.hash, slot});
  });
  std::string& stored = rows_[it->slot];
  if (inserted || (options.merge_column < 0 && options.written_columns == nullptr)) {
    stored = std::move(row);
    return;
  }
  std::vector<CellView> old_cells;
  std::vector<CellView> new_cells;
  if (!DecodeRow(stored, spec_.columns.size(), &old_cells) ||
      !DecodeRow(row, spec_.columns.size(), &new_cells)) {
    return;
  }
  if (options.merge_column >= 0) {
    int c = options.merge_column;
    bool written = options.written_columns == nullptr || (*options.written_columns)[c];
    if (written && CompareCells(spec_.columns[c].type, new_cells[c], old_cells[c]) < 0) return;
  }
  if (options.written_columns == nullptr) {
    stored = std::move(row);
    return;
  }
  for (size_t i = 0; i < new_cells.size(); ++i) {
    if (!(*options.written_columns)[i]) new_cells[i] = old_cells[i];
  }
  stored = EncodeRow(new_cells);
}

size_t TableData::RowCount() const {
  return spec_.model == KeyModel::kPrimary ? index_.size() : rows_.size();
}

std::vector<std::string> TableData::SortedRows() const {
  std::vector<std::string> rows;
  if (spec_.model == KeyModel::kPrimary) {
    rows.reserve(index_.size());
    for (const IndexEntry& e : index_) rows.push_back(rows_[e.slot]);
  } else {
    rows.assign(rows_.begin(), rows_.end());
  }
  const size_t key_count = spec_.key_count;
  std::vector<std::vector<CellView>> keys(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    size_t length = PrefixLength(rows[i], key_count);
    if (length == std::string::npos ||
        !DecodeRow(std::string_view(rows[i]).substr(0, length), key_count, &keys[i])) {
      keys[i].assign(key_count, std::nullopt);
    }
  }
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t k = 0; k < key_count; ++k) {
      int c = CompareCells(spec_.columns[k].type, keys[a][k], keys[b][k]);
      if (c != 0) return c < 0;
    }
    return false;
  });
  std::vector<std::string> sorted;
  sorted.reserve(rows.size());
  for (size_t i : order) sorted.push_back(std::move(rows[i]));
  return sorted;
}

void TableData::Clear() {
  index_.clear();
  rows_.clear();
  free_slots_.clear();
}

}  // namespace dbmazz::starrocks_emulator
