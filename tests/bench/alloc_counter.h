// Counts calls to the global operator new in the binary that links
// alloc_counter.cc (which replaces operator new/delete). Benchmarks read the
// count before and after their timed loop to report allocations per item.
// Thread-safety: the counter is atomic.
#ifndef DBMAZZ_TESTS_BENCH_ALLOC_COUNTER_H_
#define DBMAZZ_TESTS_BENCH_ALLOC_COUNTER_H_

namespace dbmazz::bench {

// Number of global operator new / new[] calls so far in this process.
long AllocationCount();

}  // namespace dbmazz::bench

#endif  // DBMAZZ_TESTS_BENCH_ALLOC_COUNTER_H_
