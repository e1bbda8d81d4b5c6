// Counts calls to the global operator new in the binary that links
// alloc_counter.cc (which replaces operator new/delete). Benchmarks read the
// count before and after their timed loop to report allocations per item.
// Thread-safety: the counter is atomic.
#ifndef DBMAZZ_TESTS_SUPPORT_ALLOC_COUNTER_H_
#define DBMAZZ_TESTS_SUPPORT_ALLOC_COUNTER_H_

namespace dbmazz::testing {

// Number of global operator new / new[] calls so far in this process.
long AllocationCount();

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_ALLOC_COUNTER_H_
