// The standard process_* metrics of the Prometheus client libraries, read
// from /proc/self (Linux): CPU time, resident and virtual memory, open and
// maximum file descriptors, start time, threads.
//
// Thread-safety: free functions; reading /proc/self is safe from any thread.
#ifndef DBMAZZ_ENGINE_METRICS_PROCESS_METRICS_H_
#define DBMAZZ_ENGINE_METRICS_PROCESS_METRICS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/metrics/exposition_writer.h"

namespace dbmazz::metrics {

struct ProcessSample {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_memory_bytes = 0;
  uint64_t virtual_memory_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  uint64_t threads = 0;
};

// Reads the running process; nullopt when /proc/self is unreadable.
[[nodiscard]] std::optional<ProcessSample> ReadProcessSample();

// Parses the text of /proc/<pid>/stat given the clock ticks per second, the
// page size and the boot time (btime of /proc/stat, Unix seconds); the
// open/max fds are left 0. nullopt when the text is malformed.
[[nodiscard]] std::optional<ProcessSample> ParseProcStat(std::string_view stat,
                                                         long ticks_per_second, long page_size,
                                                         int64_t boot_time);

void WriteProcessMetrics(const ProcessSample& sample, ExpositionWriter& writer);

}  // namespace dbmazz::metrics

#endif  // DBMAZZ_ENGINE_METRICS_PROCESS_METRICS_H_
