#include "tests/support/starrocks_emulator/table_data.h"

#include <algorithm>
#include <iterator>
#include <optional>
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

TableData::TableData(TableSpec spec, RowStore::Options storage)
    : spec_(std::move(spec)), store_(storage), index_(0, EntryHash{}, EntryEq{this}) {}

TableData::KeyProbe TableData::Probe(std::string_view key) {
  uint64_t h = absl::HashOf(key);
  return KeyProbe{key, static_cast<uint32_t>(h ^ (h >> 32))};
}

std::string_view TableData::KeyOf(uint32_t slot) const {
  std::string_view row = store_.Get(slot);
  size_t length = PrefixLength(row, spec_.key_count);
  return length == std::string_view::npos ? row : row.substr(0, length);
}

bool TableData::EntryEq::operator()(const IndexEntry& a, const KeyProbe& p) const {
  return a.hash == p.hash && table->KeyOf(a.slot) == p.key;
}

void TableData::Apply(const RowBatch& ops, const ApplyOptions& options) {
  if (spec_.model == KeyModel::kDuplicate) {
    for (size_t i = 0; i < ops.size(); ++i) {
      RowBatch::Op op = ops[i];
      if (!op.is_delete) (void)store_.Add(op.row);
    }
    return;
  }
  // Keys and hashes first, in one sequential pass over the batch.
  const size_t n = ops.size();
  probes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::string_view row = ops[i].row;
    size_t key_length = PrefixLength(row, spec_.key_count);
    probes_[i] = key_length == std::string_view::npos
                     ? std::nullopt
                     : std::optional(Probe(row.substr(0, key_length)));
  }
  // Finding a stored key takes three dependent cache misses (index group,
  // slot record, row). They are prefetched a few ops ahead, one step at a
  // time; a guess gone stale (the ops in between changed the table) only
  // costs the prefetch.
  constexpr size_t kIndexAhead = 12;
  constexpr size_t kSlotAhead = 8;
  constexpr size_t kRowAhead = 4;
  constexpr uint32_t kNoSlot = ~uint32_t{0};
  uint32_t guessed_slot[kSlotAhead + 1];
  std::fill(std::begin(guessed_slot), std::end(guessed_slot), kNoSlot);
  for (size_t i = 0; i < n; ++i) {
    if (i + kIndexAhead < n && probes_[i + kIndexAhead]) index_.prefetch(*probes_[i + kIndexAhead]);
    if (i + kSlotAhead < n) {
      uint32_t& guess = guessed_slot[(i + kSlotAhead) % (kSlotAhead + 1)];
      guess = kNoSlot;
      if (probes_[i + kSlotAhead]) {
        auto it = index_.find(HashProbe{probes_[i + kSlotAhead]->hash});
        if (it != index_.end()) {
          guess = it->slot;
          store_.PrefetchSlot(guess);
        }
      }
    }
    if (i + kRowAhead < n) {
      uint32_t guess = guessed_slot[(i + kRowAhead) % (kSlotAhead + 1)];
      if (guess != kNoSlot) store_.PrefetchRow(guess);
    }
    if (!probes_[i]) continue;
    RowBatch::Op op = ops[i];
    if (op.is_delete) {
      Erase(*probes_[i]);
    } else {
      Upsert(*probes_[i], op.row, options);
    }
    store_.MaybeCompact();  // Between rows: no view into the store is held.
  }
}

void TableData::Erase(const KeyProbe& probe) {
  auto it = index_.find(probe);
  if (it == index_.end()) return;
  uint32_t slot = it->slot;
  index_.erase(it);
  store_.Free(slot);
}

void TableData::Upsert(const KeyProbe& probe, std::string_view row, const ApplyOptions& options) {
  bool inserted = false;
  auto it = index_.lazy_emplace(probe, [&](const auto& construct) {
    inserted = true;
    construct(IndexEntry{probe.hash, store_.Add(row)});
  });
  if (inserted) return;
  const uint32_t slot = it->slot;
  if (options.merge_column < 0 && options.written_columns == nullptr) {
    store_.Set(slot, row);
    return;
  }
  if (!DecodeRow(store_.Get(slot), spec_.columns.size(), &old_cells_) ||
      !DecodeRow(row, spec_.columns.size(), &new_cells_)) {
    return;
  }
  if (options.merge_column >= 0) {
    int c = options.merge_column;
    bool written = options.written_columns == nullptr || (*options.written_columns)[c];
    if (written && CompareCells(spec_.columns[c].type, new_cells_[c], old_cells_[c]) < 0) return;
  }
  if (options.written_columns == nullptr) {
    store_.Set(slot, row);
    return;
  }
  merged_.clear();
  for (size_t i = 0; i < new_cells_.size(); ++i) {
    const CellView& cell = (*options.written_columns)[i] ? new_cells_[i] : old_cells_[i];
    if (cell) {
      AppendCell(&merged_, *cell);
    } else {
      AppendNullCell(&merged_);
    }
  }
  store_.Set(slot, merged_);
}

size_t TableData::RowCount() const {
  return spec_.model == KeyModel::kPrimary ? index_.size() : store_.slot_count();
}

std::vector<std::string> TableData::SortedRows() const {
  std::vector<std::string> rows;
  if (spec_.model == KeyModel::kPrimary) {
    rows.reserve(index_.size());
    for (const IndexEntry& e : index_) rows.emplace_back(store_.Get(e.slot));
  } else {
    const size_t slots = store_.slot_count();
    rows.reserve(slots);
    for (size_t slot = 0; slot < slots; ++slot) {
      rows.emplace_back(store_.Get(static_cast<uint32_t>(slot)));
    }
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
  store_.Clear();
}

}  // namespace dbmazz::starrocks_emulator
