// The set of columns written for a row, so the batcher can group rows that
// carry the same columns into one Stream Load request (partial updates need an
// exact `columns` header; mixing rows with different column sets would null
// the omitted TOAST columns).
//
// Up to 128 columns are stored inline (no heap allocation); wider tables
// (PostgreSQL allows 1600 columns) spill to the heap. Masks compare equal when
// they have the same width and the same bits; they are hashable with
// absl::Hash (and std::hash through ColumnMaskHash).
//
// Thread-safety: a value type; no internal synchronization.
#ifndef DBMAZZ_ENGINE_SINK_COLUMN_MASK_H_
#define DBMAZZ_ENGINE_SINK_COLUMN_MASK_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"

namespace dbmazz::sink {

class ColumnMask {
 public:
  ColumnMask() = default;
  // A mask of `width` columns, all clear.
  explicit ColumnMask(size_t width) { Reset(width); }

  // Resizes to `width` columns and clears every bit. Keeps heap capacity.
  void Reset(size_t width);
  // Resizes to `width` columns and sets every bit.
  void SetAll(size_t width);

  size_t width() const { return width_; }

  // Precondition for Set/Clear/Test: index < width() (out-of-range indexes
  // are ignored by Set/Clear and read as false by Test).
  void Set(size_t index) {
    if (index < width_) words_[index >> 6] |= uint64_t{1} << (index & 63);
  }
  void Clear(size_t index) {
    if (index < width_) words_[index >> 6] &= ~(uint64_t{1} << (index & 63));
  }
  bool Test(size_t index) const {
    return index < width_ && ((words_[index >> 6] >> (index & 63)) & 1) != 0;
  }

  // Number of set bits.
  size_t Count() const;
  // True when every one of the width() bits is set (true for width 0).
  bool All() const { return Count() == width_; }

  friend bool operator==(const ColumnMask& a, const ColumnMask& b) {
    return a.width_ == b.width_ && a.words_ == b.words_;
  }
  friend bool operator!=(const ColumnMask& a, const ColumnMask& b) { return !(a == b); }

  template <typename H>
  friend H AbslHashValue(H h, const ColumnMask& m) {
    h = H::combine(std::move(h), m.width_);
    return H::combine_contiguous(std::move(h), m.words_.data(), m.words_.size());
  }

 private:
  size_t width_ = 0;
  absl::InlinedVector<uint64_t, 2> words_;
};

// For std::unordered_map users.
struct ColumnMaskHash {
  size_t operator()(const ColumnMask& m) const { return absl::Hash<ColumnMask>()(m); }
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_COLUMN_MASK_H_
