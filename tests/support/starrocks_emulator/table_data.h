// The rows of one emulated table. PRIMARY KEY tables keep one row per key
// (upsert / delete / partial update / merge condition); DUPLICATE KEY tables
// keep every row in arrival order.
//
// Thread-safety: not thread-safe. The emulator serialises all access under
// EmulatorState::mu; the spec is immutable after construction.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::starrocks_emulator {

class TableData {
 public:
  // One converted row of a load (see row_codec.h for the encoding). For
  // partial updates, columns the load does not write hold the value a new row
  // gets (default, NULL or the type's zero value).
  struct RowOp {
    bool is_delete = false;
    std::string row;
  };
  struct ApplyOptions {
    // Partial update: the columns the load writes (others of an existing row
    // keep their values). nullptr: full rows.
    const std::vector<bool>* written_columns = nullptr;
    // merge_condition column index, or -1. An upsert of an existing key only
    // wins if its value there is >= the stored one (NULL is the smallest).
    int merge_column = -1;
  };

  explicit TableData(TableSpec spec);
  TableData(const TableData&) = delete;
  TableData& operator=(const TableData&) = delete;

  [[nodiscard]] const TableSpec& spec() const { return spec_; }

  // Applies `ops` in order, consuming them. Deletes only apply to PRIMARY KEY
  // tables.
  void Apply(std::vector<RowOp>&& ops, const ApplyOptions& options);

  [[nodiscard]] size_t RowCount() const;

  // All rows (encoded), sorted by key (stable for DUPLICATE KEY tables).
  [[nodiscard]] std::vector<std::string> SortedRows() const;

  void Clear();

 private:
  // The primary-key index: 8 bytes per row (a 32-bit hash of the key and the
  // row's slot in rows_), so growing it moves little memory and never reads
  // the rows. Lookups compare the key prefix of the slot's row.
  struct IndexEntry {
    uint32_t hash;
    uint32_t slot;
  };
  struct KeyProbe {
    std::string_view key;
    uint32_t hash;
  };
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const IndexEntry& e) const { return e.hash; }
    size_t operator()(const KeyProbe& p) const { return p.hash; }
  };
  struct EntryEq {
    using is_transparent = void;
    const TableData* table;
    bool operator()(const IndexEntry& a, const IndexEntry& b) const { return a.slot == b.slot; }
    bool operator()(const IndexEntry& a, const KeyProbe& p) const;
    bool operator()(const KeyProbe& p, const IndexEntry& a) const { return (*this)(a, p); }
  };

  [[nodiscard]] static KeyProbe Probe(std::string_view key);
  [[nodiscard]] std::string_view KeyOf(uint32_t slot) const;
  void Upsert(std::string&& row, const ApplyOptions& options);
  void Erase(std::string_view key);

  const TableSpec spec_;
  // PRIMARY KEY: rows by slot (a freed slot is empty and listed in
  // free_slots_), found by key through index_. DUPLICATE KEY: rows in
  // arrival order.
  // A deque: growing it never moves the rows already stored.
  std::deque<std::string> rows_;
  std::vector<uint32_t> free_slots_;
  absl::flat_hash_set<IndexEntry, EntryHash, EntryEq> index_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
