// Runs PostgreSQL server programs (initdb, pg_ctl, postgres) for the test
// fixture as the OS user that owns the throwaway cluster.
//
// PostgreSQL refuses to run as root, so when the test process runs as root
// (geteuid() == 0) every program is started as the `postgres` OS user:
// fork(), setgroups/setgid/setuid, then execve(). Otherwise programs run as
// the current user. Children get /dev/null as stdin, their stdout and stderr
// appended to a log file, no other inherited descriptors, and an environment
// without PG* / LANG / LC_* variables (LC_ALL=C, so messages are English).
//
// Ownership: a value type holding the resolved user ids.
// Thread-safety: const methods may be called from several threads.
#ifndef DBMAZZ_TESTS_SUPPORT_PG_COMMAND_RUNNER_H_
#define DBMAZZ_TESTS_SUPPORT_PG_COMMAND_RUNNER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbmazz::testing {

class PgCommandRunner {
 public:
  // Resolves the user to run as. Errors: kFailedPrecondition when running as
  // root and there is no `postgres` OS user.
  [[nodiscard]] static absl::StatusOr<PgCommandRunner> Create();

  // True when programs run as the `postgres` user instead of the current one.
  bool drops_privileges() const { return drops_privileges_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }
  // "postgres" or the current user's name, for messages.
  const std::string& user_name() const { return user_name_; }

  // Runs argv (argv[0] is an absolute path) in `work_dir` and waits for it.
  // Output is appended to `log_path` ("" discards it). Errors: kInternal when
  // the program cannot be started or exits non-zero; the message holds the
  // exit status and the last lines of the log.
  [[nodiscard]] absl::Status Run(const std::vector<std::string>& argv, const std::string& work_dir,
                                 const std::string& log_path) const;

  // Gives `path` to the server user (no-op unless drops_privileges()).
  // Errors: kInternal with errno's text.
  [[nodiscard]] absl::Status Chown(const std::string& path) const;

 private:
  friend class PgCluster;  // builds an inert runner for PgCluster::NotStarted()
  PgCommandRunner() = default;

  bool drops_privileges_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::string user_name_;
};

// The last `max_bytes` of a text file ("" if unreadable), for error messages.
std::string TailOfFile(const std::string& path, size_t max_bytes = 2000);

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_PG_COMMAND_RUNNER_H_
