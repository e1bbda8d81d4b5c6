#include "tests/support/starrocks_emulator/row_store.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

namespace dbmazz::starrocks_emulator {

namespace {

// Faults the block's pages in with one system call rather than one page fault
// per 4 KiB page as rows are written (a large share of a growing table's cost
// on VMs). Best effort: kernels before 5.14 do not know the advice.
void Prefault(void* block, size_t size) {
#ifdef MADV_POPULATE_WRITE
  constexpr uintptr_t kPage = 4096;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(block) + kPage - 1) & ~(kPage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(block) + size) & ~(kPage - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)block;
  (void)size;
#endif
}

}  // namespace

char* RowStore::Allocate(size_t size) {
  used_bytes_ += size;
  if (size <= static_cast<size_t>(limit_ - cursor_)) {
    char* p = cursor_;
    cursor_ += size;
    return p;
  }
  if (size > options_.block_bytes / 4) {  // A block of its own.
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    block_bytes_ += size;
    return blocks_.back().get();
  }
  // The rest of the current block stays unused.
  size_t bytes = std::max(next_block_bytes_, size);
  next_block_bytes_ = std::min(next_block_bytes_ * 2, options_.block_bytes);
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
  block_bytes_ += bytes;
  cursor_ = blocks_.back().get();
  limit_ = cursor_ + bytes;
  if (bytes >= options_.block_bytes) Prefault(cursor_, bytes);
  char* p = cursor_;
  cursor_ += size;
  return p;
}

uint32_t RowStore::Add(std::string_view row) {
  uint32_t slot;
  if (free_slots_.empty()) {
    if (slot_count_ % kSlotsPerChunk == 0) {
      slot_chunks_.push_back(std::make_unique_for_overwrite<Slot[]>(kSlotsPerChunk));
      if (slot_chunks_.size() > 1)
        Prefault(slot_chunks_.back().get(), kSlotsPerChunk * sizeof(Slot));
    }
    slot = static_cast<uint32_t>(slot_count_++);
    At(slot) = Slot{nullptr, 0, 0};
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Set(slot, row);
  return slot;
}

void RowStore::Set(uint32_t slot, std::string_view row) {
  Slot& s = At(slot);
  if (row.size() > s.capacity) {
    dead_bytes_ += s.capacity;
    s.data = Allocate(row.size());
    s.capacity = static_cast<uint32_t>(row.size());
  }
  if (!row.empty()) std::memmove(s.data, row.data(), row.size());
  s.size = static_cast<uint32_t>(row.size());
}

void RowStore::Free(uint32_t slot) {
  Slot& s = At(slot);
  dead_bytes_ += s.capacity;
  s = Slot{nullptr, 0, 0};
  free_slots_.push_back(slot);
}

void RowStore::Compact() {
  std::vector<std::unique_ptr<char[]>> old_blocks = std::move(blocks_);
  blocks_.clear();
  cursor_ = nullptr;
  limit_ = nullptr;
  next_block_bytes_ = FirstBlockBytes();
  block_bytes_ = 0;
  used_bytes_ = 0;
  dead_bytes_ = 0;
  for (size_t slot = 0; slot < slot_count_; ++slot) {
    Slot& s = At(static_cast<uint32_t>(slot));
    if (s.capacity == 0) continue;  // Free, or an empty row.
    char* data = Allocate(s.size);
    if (s.size > 0) std::memcpy(data, s.data, s.size);
    s.data = data;
    s.capacity = s.size;
  }
  ++compactions_;
}

void RowStore::Clear() {
  blocks_.clear();
  blocks_.shrink_to_fit();
  cursor_ = nullptr;
  limit_ = nullptr;
  slot_chunks_.clear();
  slot_chunks_.shrink_to_fit();
  slot_count_ = 0;
  free_slots_.clear();
  free_slots_.shrink_to_fit();
  next_block_bytes_ = FirstBlockBytes();
  block_bytes_ = 0;
  used_bytes_ = 0;
  dead_bytes_ = 0;
}

RowStore::Stats RowStore::stats() const {
  Stats stats;
  stats.slots = slot_count_;
  stats.free_slots = free_slots_.size();
  stats.blocks = blocks_.size();
  stats.block_bytes = block_bytes_;
  stats.used_bytes = used_bytes_;
  stats.dead_bytes = dead_bytes_;
  stats.compactions = compactions_;
  return stats;
}

}  // namespace dbmazz::starrocks_emulator
