// A helper program run as a child process for the benchmarks (dbmazzd, the
// StarRocks emulator), so its CPU and memory are apart from the benchmark's.
//
//   auto emulator = ChildProcess::Start({DBMAZZ_EMULATOR, "--schema", path}, "\"fe_port\":");
//   (*emulator)->ready_line();   // {"fe_port":41234,"be_port":41235}
//
// Start() forks and execs argv (stderr inherited, stdout on a pipe), waits
// for the first stdout line containing `ready_marker`, and then keeps
// draining stdout on a thread so the child never blocks on a full pipe.
//
// Ownership: owns the child: the destructor is Stop().
// Thread-safety: not thread-safe; pid() and ready_line() are constant.
// Errors (Start): kInternal when fork/pipe fail, kUnavailable when the
// child exits or stays silent for `timeout` without printing the marker
// (it is killed then).
#ifndef DBMAZZ_TESTS_BENCH_CHILD_PROCESS_H_
#define DBMAZZ_TESTS_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbmazz::bench {

class ChildProcess {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::vector<std::string> argv, std::string_view ready_marker,
      absl::Duration timeout = absl::Seconds(30));
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The stdout line that contained the marker, without its newline.
  const std::string& ready_line() const { return ready_line_; }

  // Sends SIGTERM, waits for the exit and returns the wait status (-1 when
  // already stopped). Idempotent.
  int Stop();

  // User + system CPU seconds the (running) child has used so far, from
  // /proc/<pid>/stat; 0 when unreadable.
  double CpuSeconds() const;

 private:
  ChildProcess() = default;

  pid_t pid_ = 0;
  std::string ready_line_;
  std::thread drain_;
};

}  // namespace dbmazz::bench

#endif  // DBMAZZ_TESTS_BENCH_CHILD_PROCESS_H_
