// The process's heap policy for a long-running dbmazzd.
//
// glibc's default raises its mmap threshold (up to 32 MiB) after a large
// block is freed, and with it the trim threshold: later batch bodies and
// snapshot buffers then come from per-thread arenas, whose free tail is
// never returned to the kernel (malloc_trim does not trim non-main arenas).
// After one 1M-row snapshot dbmazzd kept ~65 MiB of free heap. A fixed
// threshold keeps blocks of kMmapThresholdBytes and more in their own
// mappings, returned when freed, and lets arenas trim their tails.
// docs/benchmarks.md (initial snapshot) has the measurements.
//
// Call once at start-up, before threads are created. Thread-safety: none
// needed then. Errors: none; a no-op outside glibc.
#ifndef DBMAZZ_ENGINE_COMMON_MALLOC_POLICY_H_
#define DBMAZZ_ENGINE_COMMON_MALLOC_POLICY_H_

#include <cstddef>

namespace dbmazz {

inline constexpr size_t kMmapThresholdBytes = size_t{1} << 20;

// Returns whether the policy was applied (false outside glibc).
bool ApplyMallocPolicy();

}  // namespace dbmazz

#endif  // DBMAZZ_ENGINE_COMMON_MALLOC_POLICY_H_
