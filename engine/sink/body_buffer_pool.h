// Spare Stream Load body buffers, so a sink filling batch after batch reuses
// memory it already touched instead of growing a fresh string (and faulting
// in fresh pages) for every batch: at snapshot rates that was a fifth of the
// copier's CPU (docs/benchmarks.md).
//
// Bounded: at most `max_idle` buffers are kept, none larger than
// `max_capacity`; the rest are freed when given back.
//
// Ownership: owns the idle buffers; a buffer taken belongs to the taker.
// Thread-safety: thread-safe (one mutex); the snapshot's copy sessions share
// one pool.
#ifndef DBMAZZ_ENGINE_SINK_BODY_BUFFER_POOL_H_
#define DBMAZZ_ENGINE_SINK_BODY_BUFFER_POOL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace dbmazz::sink {

class BodyBufferPool {
 public:
  BodyBufferPool(size_t max_idle, size_t max_capacity)
      : max_idle_(max_idle), max_capacity_(max_capacity) {}
  BodyBufferPool(const BodyBufferPool&) = delete;
  BodyBufferPool& operator=(const BodyBufferPool&) = delete;

  // An empty string: the largest idle buffer if there is one, else a new
  // one with at least `min_capacity` reserved.
  [[nodiscard]] std::string Take(size_t min_capacity);
  // Keeps `buffer` (cleared) for a later Take() if there is room.
  void Give(std::string buffer);
  // Frees every idle buffer.
  void Clear();

  [[nodiscard]] size_t idle_buffers() const;
  [[nodiscard]] size_t idle_bytes() const;  // capacity held by idle buffers

 private:
  const size_t max_idle_;
  const size_t max_capacity_;
  mutable absl::Mutex mu_;
  std::vector<std::string> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_BODY_BUFFER_POOL_H_
