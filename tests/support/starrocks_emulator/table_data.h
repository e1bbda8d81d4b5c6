// The rows of one emulated table. PRIMARY KEY tables keep one row per key
// (upsert / delete / partial update / merge condition); DUPLICATE KEY tables
// keep every row in arrival order.
//
// Memory layout: the encoded rows (row_codec.h) live in a RowStore (large
// blocks, 16 bytes of bookkeeping per row, updates in place when the new row
// fits, compaction once dead bytes outweigh live ones). PRIMARY KEY tables add
// an 8-byte index entry per row (see IndexEntry).
//
// Ownership: owns its rows; Apply copies the batch's rows in.
// Thread-safety: not thread-safe. The emulator serialises all access under
// EmulatorState::mu; the spec is immutable after construction.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "tests/support/starrocks_emulator/row_batch.h"
#include "tests/support/starrocks_emulator/row_codec.h"
#include "tests/support/starrocks_emulator/row_store.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::starrocks_emulator {

class TableData {
 public:
  struct ApplyOptions {
    // Partial update: the columns the load writes (others of an existing row
    // keep their values). nullptr: full rows.
    const std::vector<bool>* written_columns = nullptr;
    // merge_condition column index, or -1. An upsert of an existing key only
    // wins if its value there is >= the stored one (NULL is the smallest).
    int merge_column = -1;
  };

  // `storage` tunes the row store (tests use tiny blocks to exercise it).
  explicit TableData(TableSpec spec, RowStore::Options storage = {});
  TableData(const TableData&) = delete;
  TableData& operator=(const TableData&) = delete;

  [[nodiscard]] const TableSpec& spec() const { return spec_; }

  // Applies `ops` in order. Deletes only apply to PRIMARY KEY tables.
  void Apply(const RowBatch& ops, const ApplyOptions& options);

  [[nodiscard]] size_t RowCount() const;

  // All rows (encoded), sorted by key (stable for DUPLICATE KEY tables).
  [[nodiscard]] std::vector<std::string> SortedRows() const;

  void Clear();

  [[nodiscard]] RowStore::Stats storage_stats() const { return store_.stats(); }

 private:
  // The primary-key index: 8 bytes per row (a 32-bit hash of the key and the
  // row's slot in store_), so growing it moves little memory and never reads
  // the rows. Lookups compare the key prefix of the slot's row.
  struct IndexEntry {
    uint32_t hash;
    uint32_t slot;
  };
  struct KeyProbe {
    std::string_view key;
    uint32_t hash;
  };
  // Finds the first entry with the hash, without reading any row: a guess,
  // used to prefetch.
  struct HashProbe {
    uint32_t hash;
  };
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const IndexEntry& e) const { return e.hash; }
    size_t operator()(const KeyProbe& p) const { return p.hash; }
    size_t operator()(const HashProbe& p) const { return p.hash; }
  };
  struct EntryEq {
    using is_transparent = void;
    const TableData* table;
    bool operator()(const IndexEntry& a, const IndexEntry& b) const { return a.slot == b.slot; }
    bool operator()(const IndexEntry& a, const KeyProbe& p) const;
    bool operator()(const KeyProbe& p, const IndexEntry& a) const { return (*this)(a, p); }
    bool operator()(const IndexEntry& a, const HashProbe& p) const { return a.hash == p.hash; }
    bool operator()(const HashProbe& p, const IndexEntry& a) const { return a.hash == p.hash; }
  };

  [[nodiscard]] static KeyProbe Probe(std::string_view key);
  [[nodiscard]] std::string_view KeyOf(uint32_t slot) const;
  void Upsert(const KeyProbe& probe, std::string_view row, const ApplyOptions& options);
  void Erase(const KeyProbe& probe);

  const TableSpec spec_;
  // PRIMARY KEY: rows found by key through index_ (a deleted row's slot is
  // freed and reused). DUPLICATE KEY: slots in arrival order, never freed.
  RowStore store_;
  absl::flat_hash_set<IndexEntry, EntryHash, EntryEq> index_;
  // Scratch for partial updates and merge conditions.
  std::vector<CellView> old_cells_;
  std::vector<CellView> new_cells_;
  std::string merged_;
  // Scratch for Apply: each op's key (nullopt: the row is too short for one).
  std::vector<std::optional<KeyProbe>> probes_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_TABLE_DATA_H_
