#include "engine/sink/body_buffer_pool.h"

#include <algorithm>
#include <utility>

namespace dbmazz::sink {

std::string BodyBufferPool::Take(size_t min_capacity) {
  std::string buffer;
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      auto largest = std::max_element(
          idle_.begin(), idle_.end(),
          [](const std::string& a, const std::string& b) { return a.capacity() < b.capacity(); });
      std::swap(*largest, idle_.back());
      buffer = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  buffer.clear();
  if (buffer.capacity() < min_capacity) buffer.reserve(min_capacity);
  return buffer;
}

void BodyBufferPool::Give(std::string buffer) {
  if (buffer.capacity() > max_capacity_) return;  // freed here, outside the lock
  buffer.clear();
  absl::MutexLock lock(&mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(buffer));
}

void BodyBufferPool::Clear() {
  std::vector<std::string> idle;
  absl::MutexLock lock(&mu_);
  idle.swap(idle_);
}

size_t BodyBufferPool::idle_buffers() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

size_t BodyBufferPool::idle_bytes() const {
  absl::MutexLock lock(&mu_);
  size_t total = 0;
  for (const std::string& b : idle_) total += b.capacity();
  return total;
}

}  // namespace dbmazz::sink
