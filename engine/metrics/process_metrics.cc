#include "engine/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::metrics {

namespace {

std::optional<std::string> ReadText(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// btime from /proc/stat: the boot time in Unix seconds.
std::optional<int64_t> BootTime() {
  std::optional<std::string> stat = ReadText("/proc/stat");
  if (!stat.has_value()) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
    if (line.substr(0, 6) != "btime ") continue;
    int64_t value = 0;
    if (absl::SimpleAtoi(line.substr(6), &value)) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessSample> ParseProcStat(std::string_view stat, long ticks_per_second,
                                           long page_size, int64_t boot_time) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // fields are counted from the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(AsAbsl(stat.substr(close + 1)), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state): field n is fields[n - 3].
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3, kThreads = 20 - 3, kStart = 22 - 3,
                   kVsize = 23 - 3, kRss = 24 - 3;
  if (fields.size() <= kRss) return std::nullopt;
  uint64_t utime = 0, stime = 0, threads = 0, start = 0, vsize = 0;
  int64_t rss = 0;
  if (!absl::SimpleAtoi(fields[kUtime], &utime) || !absl::SimpleAtoi(fields[kStime], &stime) ||
      !absl::SimpleAtoi(fields[kThreads], &threads) || !absl::SimpleAtoi(fields[kStart], &start) ||
      !absl::SimpleAtoi(fields[kVsize], &vsize) || !absl::SimpleAtoi(fields[kRss], &rss)) {
    return std::nullopt;
  }
  ProcessSample sample;
  sample.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
  sample.threads = threads;
  sample.virtual_memory_bytes = vsize;
  sample.resident_memory_bytes = rss > 0 ? static_cast<uint64_t>(rss) * page_size : 0;
  sample.start_time_seconds = static_cast<double>(boot_time) +
                              static_cast<double>(start) / static_cast<double>(ticks_per_second);
  return sample;
}

std::optional<ProcessSample> ReadProcessSample() {
  std::optional<std::string> stat = ReadText("/proc/self/stat");
  std::optional<int64_t> boot_time = BootTime();
  if (!stat.has_value() || !boot_time.has_value()) return std::nullopt;
  std::optional<ProcessSample> sample =
      ParseProcStat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), *boot_time);
  if (!sample.has_value()) return std::nullopt;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++sample->open_fds;
  }
  if (sample->open_fds > 0) --sample->open_fds;  // the directory's own descriptor
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) sample->max_fds = limit.rlim_cur;
  return sample;
}

void WriteProcessMetrics(const ProcessSample& s, ExpositionWriter& w) {
  w.Family("process_cpu_seconds_total", MetricType::kCounter,
           "Total user and system CPU time spent in seconds.");
  w.Sample("process_cpu_seconds_total", {}, s.cpu_seconds);
  w.Family("process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes.");
  w.Sample("process_resident_memory_bytes", {}, s.resident_memory_bytes);
  w.Family("process_virtual_memory_bytes", MetricType::kGauge, "Virtual memory size in bytes.");
  w.Sample("process_virtual_memory_bytes", {}, s.virtual_memory_bytes);
  w.Family("process_open_fds", MetricType::kGauge, "Number of open file descriptors.");
  w.Sample("process_open_fds", {}, s.open_fds);
  w.Family("process_max_fds", MetricType::kGauge, "Maximum number of open file descriptors.");
  w.Sample("process_max_fds", {}, s.max_fds);
  w.Family("process_start_time_seconds", MetricType::kGauge,
           "Start time of the process since unix epoch in seconds.");
  w.Sample("process_start_time_seconds", {}, s.start_time_seconds);
  w.Family("process_threads", MetricType::kGauge, "Number of OS threads in the process.");
  w.Sample("process_threads", {}, s.threads);
}

}  // namespace dbmazz::metrics
