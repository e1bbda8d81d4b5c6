// A throwaway PostgreSQL cluster for integration tests.
//
// Start() creates a temporary directory (mkdtemp under $TMPDIR or /tmp),
// runs initdb into <dir>/data (superuser `postgres`, trust auth, UTF8, C
// locale), configures it for logical replication and starts it with
// `pg_ctl -w -t 60 start` on 127.0.0.1 and a free TCP port, with its unix
// socket in <dir> and its server log in <dir>/server.log. Configuration:
//   wal_level=logical, max_wal_senders = max_replication_slots = max_slots,
//   max_prepared_transactions=10, max_connections, fsync=off,
//   log_line_prefix with the SQLSTATE (%e), then Options::extra_conf.
// pg_hba.conf: `postgres` connects without a password (local and
// 127.0.0.1/32, normal and replication connections); every other role needs
// its scram-sha-256 password.
//
// When the test process runs as root, initdb/pg_ctl/postgres run as the
// `postgres` OS user (see pg_command_runner.h) and the directory is chowned
// to it. The destructor always stops the server (pg_ctl -m immediate,
// falling back to killing the postmaster) and deletes the directory;
// pg_reaper.h covers test processes that exit or die without it.
//
// Which binaries: Options::bin_dir, else $DBMAZZ_PG_BINDIR, else
// /usr/lib/postgresql/15/bin. Other major versions come from
// deploy/install_postgres.sh VERSION (its last output line is a bin dir).
//
// Ownership: owns the server process and the directory.
// Thread-safety: Dsn()/TcpDsn()/accessors, Exec() and Query() may be called
// from several threads; Start()/Stop()/Restart() must not run concurrently
// with anything else on the same object.
#ifndef DBMAZZ_TESTS_SUPPORT_PG_CLUSTER_H_
#define DBMAZZ_TESTS_SUPPORT_PG_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/pg_command_runner.h"
#include "tests/support/pg_sql.h"

namespace dbmazz::testing {

class PgCluster {
 public:
  struct Options {
    // Directory holding initdb, pg_ctl and postgres. Empty: $DBMAZZ_PG_BINDIR,
    // else /usr/lib/postgresql/15/bin.
    std::string bin_dir;
    int max_connections = 300;
    // max_replication_slots and max_wal_senders (the default leaves room for
    // tests that create many slots; set it low to test slot exhaustion).
    int max_slots = 80;
    // Extra postgresql.conf lines, written last (they win).
    std::vector<std::string> extra_conf;
  };

  // Creates, configures and starts a cluster. Errors: kInvalidArgument (bad
  // options), kFailedPrecondition (binaries missing, or not executable by the
  // `postgres` user when running as root), kInternal (initdb/pg_ctl failed;
  // the message holds their output and the server log's tail).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgCluster>> Start(Options options);

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Unix-socket DSN for the superuser:
  // "host='<dir>' port='<port>' user='postgres' dbname='<dbname>'".
  std::string Dsn(std::string_view dbname = "postgres") const;
  // TCP DSN on 127.0.0.1 (password omitted when empty).
  std::string TcpDsn(std::string_view dbname = "postgres", std::string_view user = "postgres",
                     std::string_view password = "") const;

  int port() const { return port_; }
  // PQserverVersion(), e.g. 150014 for 15.14, 170010 for 17.10.
  int server_version_num() const { return server_version_num_; }
  // SELECT version(), e.g. "PostgreSQL 17.10 on x86_64-pc-linux-gnu, ...".
  const std::string& version_string() const { return version_string_; }
  const std::string& bin_dir() const { return options_.bin_dir; }
  const std::string& data_dir() const { return data_dir_; }
  // The temporary directory (also the unix socket directory).
  const std::string& root_dir() const { return root_dir_; }
  const std::string& server_log_path() const { return log_path_; }
  // The OS user the server runs as ("postgres" when tests run as root).
  const std::string& os_user() const { return runner_.user_name(); }
  bool running() const { return running_; }
  // The postmaster's pid from postmaster.pid. Errors: kNotFound when stopped.
  [[nodiscard]] absl::StatusOr<pid_t> PostmasterPid() const;
  // The server log's contents so far ("" if unreadable).
  std::string ReadServerLog() const;

  // Runs SQL as `postgres` over the unix socket (see pg_sql.h for errors).
  [[nodiscard]] absl::Status Exec(std::string_view sql, std::string_view dbname = "postgres") const;
  [[nodiscard]] absl::StatusOr<PgRows> Query(std::string_view sql,
                                             std::string_view dbname = "postgres") const;

  // CREATE DATABASE `name` and returns the name. Errors: kAlreadyExists,
  // others from Exec().
  [[nodiscard]] absl::StatusOr<std::string> CreateDatabase(std::string_view name) const;

  // Stops the server (pg_ctl -m fast, or -m immediate: a crash-like stop that
  // needs recovery on the next start). Errors: kFailedPrecondition when not
  // running; kInternal if pg_ctl failed (the postmaster is then killed).
  [[nodiscard]] absl::Status Stop(bool immediate = false);
  // Starts it again on the same data dir and port. Errors: kFailedPrecondition
  // when already running; kInternal when pg_ctl failed (e.g. the port was
  // taken meanwhile).
  [[nodiscard]] absl::Status Start();
  // Stop(immediate) then Start().
  [[nodiscard]] absl::Status Restart(bool immediate);

 private:
  friend class PgEnvironment;

  PgCluster(Options options, PgCommandRunner runner, std::string root_dir);
  // A placeholder that never ran: every connection fails (port 0, no dir).
  // PgEnvironment hands it out after a failed start so tests fail, not crash.
  static std::unique_ptr<PgCluster> NotStarted();

  std::string Bin(std::string_view program) const;
  absl::Status InitDb();
  absl::Status WriteConfig() const;
  absl::Status WritePortConfig() const;
  // pg_ctl start; sets running_, the reaper's pid and the version.
  absl::Status StartServer();
  // Kills the postmaster from postmaster.pid (SIGQUIT, then SIGKILL) and
  // waits for it to exit.
  void KillPostmaster();

  Options options_;
  PgCommandRunner runner_;
  std::string root_dir_;
  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  int server_version_num_ = 0;
  std::string version_string_;
  bool running_ = false;
  pid_t owner_pid_;  // the process that started it (forked children leave it alone)
};

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_PG_CLUSTER_H_
