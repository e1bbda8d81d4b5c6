// A dbmazzd subprocess for tests that drive the real binaries (dbmazzd and
// dbmazzctl): started on free ports (gRPC and metrics), its address read from
// its "listening on" line, stopped with SIGTERM.
//
// Ownership: owns the process and a thread draining its stdout.
// Thread-safety: one test thread.
#ifndef DBMAZZ_TESTS_INTEGRATION_DBMAZZD_PROCESS_H_
#define DBMAZZ_TESTS_INTEGRATION_DBMAZZD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace dbmazz::testing {

class DbmazzdProcess {
 public:
  struct CtlResult {
    int exit_code = -1;
    std::string out;  // stdout and stderr
  };

  DbmazzdProcess(std::string dbmazzd_binary, std::string dbmazzctl_binary);
  ~DbmazzdProcess();
  DbmazzdProcess(const DbmazzdProcess&) = delete;
  DbmazzdProcess& operator=(const DbmazzdProcess&) = delete;

  // Runs `dbmazzd --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 ARGS...`
  // (later flags win), its stderr into `stderr_path` ("": inherited), and
  // waits for its address. False if it exited without listening.
  [[nodiscard]] bool Start(const std::vector<std::string>& args,
                           const std::string& stderr_path = "");
  // SIGTERM and wait. The wait status, or -1 when nothing was running.
  int Stop();

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& address() const { return address_; }

  // `dbmazzctl --server <address> ARGS` (ARGS as a shell would split them).
  [[nodiscard]] CtlResult Ctl(const std::string& args) const;

 private:
  const std::string dbmazzd_;
  const std::string dbmazzctl_;
  pid_t pid_ = 0;
  std::string address_;
  std::thread drain_;
};

// Polls `done` every 100 ms until it is true (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(60));

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_INTEGRATION_DBMAZZD_PROCESS_H_
