// Makes sure throwaway PostgreSQL clusters do not outlive the test process.
//
// pg_ctl daemonizes the postmaster, so it is not our child and
// PR_SET_PDEATHSIG cannot reach it. Three layers cover the ways a test
// process ends:
//   * normal exit: an atexit() handler sends SIGQUIT (immediate shutdown) to
//     every postmaster still registered (PgCluster's destructor normally
//     stops them first and unregisters);
//   * SIGINT, SIGTERM, SIGHUP and crash signals (SIGSEGV, SIGABRT, SIGBUS,
//     SIGFPE, SIGILL), once InstallSignalHandlers() ran: the handler sends
//     SIGQUIT to the registered postmasters, then re-raises the signal;
//   * SIGKILL (e.g. a ctest timeout): a watchdog process (bash, in its own
//     session, started on the first Register()) reads registrations from a
//     pipe; when the pipe closes because the test process died it stops the
//     postmasters still registered and deletes their directories.
//
// Ownership: process-wide singleton state; clusters register their root dir.
// Thread-safety: all functions are thread-safe; the signal path only reads
// lock-free atomics.
#ifndef DBMAZZ_TESTS_SUPPORT_PG_REAPER_H_
#define DBMAZZ_TESTS_SUPPORT_PG_REAPER_H_

#include <sys/types.h>

#include <string>

namespace dbmazz::testing {

class PgReaper {
 public:
  // Tracks a cluster whose files live under `root_dir` (the data dir is
  // `root_dir`/data, so the watchdog finds postmaster.pid there).
  static void Register(const std::string& root_dir);
  // Records the running postmaster's pid for the atexit / signal paths
  // (0 once it stopped).
  static void SetPostmasterPid(const std::string& root_dir, pid_t pid);
  // Forgets a cluster that was stopped and deleted.
  static void Unregister(const std::string& root_dir);

  // Installs the signal handlers described above (idempotent).
  static void InstallSignalHandlers();

  // Sends SIGQUIT to every registered postmaster. Async-signal-safe.
  static void KillAllPostmasters();
};

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_PG_REAPER_H_
