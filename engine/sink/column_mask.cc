#include "engine/sink/column_mask.h"

#include <bit>

namespace dbmazz::sink {

void ColumnMask::Reset(size_t width) {
  width_ = width;
  words_.assign((width + 63) / 64, 0);
}

void ColumnMask::SetAll(size_t width) {
  width_ = width;
  words_.assign((width + 63) / 64, ~uint64_t{0});
  if ((width & 63) != 0) words_.back() = (uint64_t{1} << (width & 63)) - 1;
}

size_t ColumnMask::Count() const {
  size_t n = 0;
  for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
  return n;
}

}  // namespace dbmazz::sink
