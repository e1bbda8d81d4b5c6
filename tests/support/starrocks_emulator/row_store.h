// The bytes of one table's encoded rows, kept in large blocks instead of one
// heap allocation per row. A row is reached through its slot: a small number
// that stays the same for the row's lifetime (the primary-key index stores
// slots, never pointers), and is reused once the row is freed.
//
// Memory layout: blocks filled front to back (the unused tail of a block is
// left when the next row does not fit). Blocks start at
// Options::first_block_bytes (64 KiB) and double up to Options::block_bytes
// (1 MiB), so small tables stay small; the pages of full-size blocks are
// faulted in when the block is made. A row larger than a quarter of block_bytes gets a block of
// its own. Per slot a 16-byte record (pointer, size, capacity), in chunks of
// 4096 records (faulted in likewise from the second chunk on). Replacing a
// row with one that fits its capacity overwrites it in place; a larger one
// takes new space and the old bytes become dead, as do the bytes of a freed
// row. MaybeCompact copies the live rows into fresh, tightly packed blocks
// once dead bytes exceed both the live ones and
// Options::compaction_floor_bytes (16 MiB); slots keep their numbers.
//
// Ownership: owns every block. Views returned by Get are valid until the next
// non-const call.
// Thread-safety: not thread-safe (TableData's callers serialise access).
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_STORE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_STORE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace dbmazz::starrocks_emulator {

class RowStore {
 public:
  struct Options {
    // Blocks grow from first_block_bytes, doubling, to block_bytes.
    size_t first_block_bytes = size_t{64} << 10;
    size_t block_bytes = size_t{1} << 20;
    size_t compaction_floor_bytes = size_t{16} << 20;
  };
  struct Stats {
    size_t slots = 0;  // Handed out, free ones included.
    size_t free_slots = 0;
    size_t blocks = 0;
    size_t block_bytes = 0;  // Allocated for blocks.
    size_t used_bytes = 0;   // Handed out of blocks to rows: live + dead.
    size_t dead_bytes = 0;   // Of rows since replaced elsewhere or freed.
    size_t compactions = 0;
  };

  RowStore() : RowStore(Options{}) {}
  explicit RowStore(Options options) : options_(options), next_block_bytes_(FirstBlockBytes()) {}
  RowStore(const RowStore&) = delete;
  RowStore& operator=(const RowStore&) = delete;

  // Stores `row` in a free slot (or a new one) and returns the slot.
  [[nodiscard]] uint32_t Add(std::string_view row);
  // Replaces the row in a used slot.
  void Set(uint32_t slot, std::string_view row);
  // Frees a used slot.
  void Free(uint32_t slot);
  // Slots handed out so far, free ones included.
  [[nodiscard]] size_t slot_count() const { return slot_count_; }
  [[nodiscard]] std::string_view Get(uint32_t slot) const {
    const Slot& s = At(slot);
    return std::string_view(s.data, s.size);
  }

  // Cache hints: the slot's record, or (reading the record) its row.
  void PrefetchSlot(uint32_t slot) const { __builtin_prefetch(&At(slot)); }
  void PrefetchRow(uint32_t slot) const {
    const Slot& s = At(slot);
    __builtin_prefetch(s.data);
    __builtin_prefetch(s.data + s.size);  // The end may lie in the next cache line.
  }

  // Compacts if dead bytes exceed the live ones and the floor. Returns whether
  // it did.
  bool MaybeCompact() {
    if (dead_bytes_ < options_.compaction_floor_bytes || dead_bytes_ <= used_bytes_ - dead_bytes_) {
      return false;
    }
    Compact();
    return true;
  }
  // Copies every used slot's row into fresh blocks, dropping dead bytes and
  // unused capacity.
  void Compact();

  // Frees every slot and block.
  void Clear();

  [[nodiscard]] Stats stats() const;

 private:
  // Left uninitialised in a new chunk; set when the slot is handed out.
  struct Slot {
    char* data;
    uint32_t size;
    uint32_t capacity;
  };
  // Slot records live in chunks of fixed size: growing never copies them.
  static constexpr size_t kSlotsPerChunk = 4096;  // 64 KiB.

  [[nodiscard]] Slot& At(uint32_t slot) const {
    return slot_chunks_[slot / kSlotsPerChunk][slot % kSlotsPerChunk];
  }

  // `size` bytes of block space.
  [[nodiscard]] char* Allocate(size_t size);
  [[nodiscard]] size_t FirstBlockBytes() const {
    return std::max<size_t>(1, std::min(options_.first_block_bytes, options_.block_bytes));
  }

  const Options options_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;  // Free space of the current block: [cursor_, limit_).
  char* limit_ = nullptr;
  size_t next_block_bytes_;  // Of the next regular block.
  std::vector<std::unique_ptr<Slot[]>> slot_chunks_;
  size_t slot_count_ = 0;
  std::vector<uint32_t> free_slots_;
  size_t block_bytes_ = 0;
  size_t used_bytes_ = 0;
  size_t dead_bytes_ = 0;
  size_t compactions_ = 0;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_STORE_H_
