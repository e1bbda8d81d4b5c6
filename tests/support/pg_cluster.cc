#include "tests/support/pg_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "tests/support/pg_reaper.h"

namespace dbmazz::testing {
namespace {

constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";
constexpr int kPortAttempts = 5;

std::string ResolveBinDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* env = std::getenv("DBMAZZ_PG_BINDIR");
  if (env != nullptr && env[0] != '\0') return env;
  return kDefaultBinDir;
}

// libpq conninfo value, quoted only when needed.
std::string ConnValue(std::string_view value) {
  if (!value.empty() && value.find_first_of(" '\\\t\n") == std::string_view::npos) {
    return std::string(value);
  }
  return QuoteConnValue(value);
}

// A TCP port that was free on 127.0.0.1 a moment ago.
absl::StatusOr<int> FindFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("cannot find a free port: ", std::strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// False once the process is gone or a zombie (the postmaster's parent may be
// an init that never reaps).
bool IsAlive(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!stat || !std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return false;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (IsAlive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

absl::Status WriteFile(const std::string& path, const std::string& text, bool append) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

PgCluster::PgCluster(Options options, PgCommandRunner runner, std::string root_dir)
    : options_(std::move(options)),
      runner_(std::move(runner)),
      root_dir_(std::move(root_dir)),
      data_dir_(root_dir_ + "/data"),
      log_path_(root_dir_ + "/server.log"),
      owner_pid_(getpid()) {}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start(Options options) {
  options.bin_dir = ResolveBinDir(options.bin_dir);
  if (options.max_connections < 10 || options.max_slots < 1) {
    return absl::InvalidArgumentError("PgCluster needs max_connections >= 10 and max_slots >= 1");
  }
  for (const char* program : {"initdb", "pg_ctl", "postgres"}) {
    const std::string path = absl::StrCat(options.bin_dir, "/", program);
    if (access(path.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("PostgreSQL binary ", path,
                       " is missing or not executable (set DBMAZZ_PG_BINDIR, or "
                       "run deploy/install_postgres.sh VERSION and use its last output line)"));
    }
  }
  absl::StatusOr<PgCommandRunner> runner = PgCommandRunner::Create();
  if (!runner.ok()) return runner.status();

  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp", "/dbmazz-pg-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  // From here on the destructor stops the server and deletes the directory.
  PgReaper::Register(pattern);
  std::unique_ptr<PgCluster> cluster(
      new PgCluster(std::move(options), *std::move(runner), pattern));
  if (cluster->root_dir_.size() > 80) {
    return absl::InvalidArgumentError(absl::StrCat(
        "temporary dir ", cluster->root_dir_, " is too long for a unix socket path; set TMPDIR"));
  }
  if (absl::Status s = cluster->runner_.Chown(cluster->root_dir_); !s.ok()) return s;

  // Also proves the `postgres` user can reach and execute the binaries.
  if (absl::Status s = cluster->runner_.Run({cluster->Bin("postgres"), "--version"},
                                            cluster->root_dir_, cluster->root_dir_ + "/check.log");
      !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run PostgreSQL from ", cluster->bin_dir(), " as the OS user '", cluster->os_user(),
        "' (every folder on the way must be readable and "
        "searchable by it): ",
        s.message()));
  }
  if (absl::Status s = cluster->InitDb(); !s.ok()) return s;
  if (absl::Status s = cluster->WriteConfig(); !s.ok()) return s;

  absl::Status started;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = FindFreePort();
    if (!port.ok()) return port.status();
    cluster->port_ = *port;
    if (absl::Status s = cluster->WritePortConfig(); !s.ok()) return s;
    const size_t log_size_before = cluster->ReadServerLog().size();
    started = cluster->StartServer();
    if (started.ok()) return cluster;
    const std::string log = cluster->ReadServerLog();
    const std::string new_log = log.size() > log_size_before ? log.substr(log_size_before) : "";
    if (!absl::StrContains(new_log, "Address already in use")) break;
  }
  return started;
}

std::unique_ptr<PgCluster> PgCluster::NotStarted() {
  std::unique_ptr<PgCluster> cluster(new PgCluster(Options{}, PgCommandRunner(), ""));
  cluster->data_dir_.clear();
  cluster->log_path_.clear();
  return cluster;
}

PgCluster::~PgCluster() {
  if (root_dir_.empty()) return;       // NotStarted()
  if (getpid() != owner_pid_) return;  // a forked child's copy: not ours to stop
  if (running_ || PostmasterPid().ok()) {
    absl::Status stopped =
        runner_.Run({Bin("pg_ctl"), "-D", data_dir_, "-m", "immediate", "-w", "-t", "30", "stop"},
                    root_dir_, root_dir_ + "/pg_ctl.log");
    (void)stopped;  // whatever happened, make sure the postmaster is gone
    KillPostmaster();
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_dir_, ignored);
  PgReaper::Unregister(root_dir_);
}

std::string PgCluster::Bin(std::string_view program) const {
  return absl::StrCat(options_.bin_dir, "/", AsAbsl(program));
}

absl::Status PgCluster::InitDb() {
  return runner_.Run({Bin("initdb"), "-D", data_dir_, "-U", "postgres", "--auth=trust", "-E",
                      "UTF8", "--locale=C", "--no-sync"},
                     root_dir_, root_dir_ + "/initdb.log");
}

absl::Status PgCluster::WriteConfig() const {
  std::string conf = absl::StrCat(
      "\n# --- dbmazz test fixture (tests/support/pg_cluster.cc) ---\n",
      "listen_addresses = '127.0.0.1'\n", "include 'dbmazz_port.conf'\n",
      "unix_socket_directories = ", QuoteLiteral(root_dir_), "\n", "wal_level = logical\n",
      "max_wal_senders = ", options_.max_slots, "\n",
      "max_replication_slots = ", options_.max_slots, "\n", "max_prepared_transactions = 10\n",
      "max_connections = ", options_.max_connections, "\n", "fsync = off\n",
      "logging_collector = off\n", "lc_messages = 'C'\n",
      "log_line_prefix = '%m [%p] %e %q%u@%d '\n");
  for (const std::string& line : options_.extra_conf) absl::StrAppend(&conf, line, "\n");
  if (absl::Status s = WriteFile(data_dir_ + "/postgresql.conf", conf, /*append=*/true); !s.ok()) {
    return s;
  }
  const std::string hba =
      "# dbmazz test fixture: the superuser is trusted, every other role needs its password.\n"
      "local all         postgres                trust\n"
      "local replication postgres                trust\n"
      "host  all         postgres 127.0.0.1/32   trust\n"
      "host  replication postgres 127.0.0.1/32   trust\n"
      "local all         all                     scram-sha-256\n"
      "host  all         all      127.0.0.1/32   scram-sha-256\n"
      "local replication all                     scram-sha-256\n"
      "host  replication all      127.0.0.1/32   scram-sha-256\n";
  return WriteFile(data_dir_ + "/pg_hba.conf", hba, /*append=*/false);
}

absl::Status PgCluster::WritePortConfig() const {
  const std::string path = data_dir_ + "/dbmazz_port.conf";
  if (absl::Status s = WriteFile(path, absl::StrCat("port = ", port_, "\n"), false); !s.ok()) {
    return s;
  }
  return runner_.Chown(path);
}

absl::Status PgCluster::StartServer() {
  absl::Status s =
      runner_.Run({Bin("pg_ctl"), "-D", data_dir_, "-l", log_path_, "-w", "-t", "60", "start"},
                  root_dir_, root_dir_ + "/pg_ctl.log");
  if (!s.ok()) {
    KillPostmaster();  // pg_ctl may have timed out with a server still coming up
    return absl::InternalError(absl::StrCat("PostgreSQL did not start: ", s.message(),
                                            "\nserver log (", log_path_, "):\n",
                                            TailOfFile(log_path_)));
  }
  running_ = true;
  absl::StatusOr<pid_t> pid = PostmasterPid();
  if (pid.ok()) PgReaper::SetPostmasterPid(root_dir_, *pid);

  absl::StatusOr<PgRows> rows = Query("SELECT current_setting('server_version_num'), version()");
  if (!rows.ok()) {
    return absl::InternalError(absl::StrCat("PostgreSQL started but does not answer on ", Dsn(),
                                            ": ", rows.status().message()));
  }
  if (rows->size() != 1 || (*rows)[0].size() != 2 || !(*rows)[0][0] || !(*rows)[0][1] ||
      !absl::SimpleAtoi(*(*rows)[0][0], &server_version_num_)) {
    return absl::InternalError("unexpected answer to SELECT server_version_num");
  }
  version_string_ = *(*rows)[0][1];
  return absl::OkStatus();
}

void PgCluster::KillPostmaster() {
  absl::StatusOr<pid_t> pid = PostmasterPid();
  if (pid.ok() && IsAlive(*pid)) {
    kill(*pid, SIGQUIT);  // immediate shutdown: the postmaster stops its children
    if (!WaitForExit(*pid, std::chrono::seconds(5))) {
      kill(*pid, SIGKILL);  // children notice the postmaster's death and exit
      WaitForExit(*pid, std::chrono::seconds(5));
    }
  }
  running_ = false;
  PgReaper::SetPostmasterPid(root_dir_, 0);
}

absl::StatusOr<pid_t> PgCluster::PostmasterPid() const {
  std::ifstream in(data_dir_ + "/postmaster.pid");
  std::string first_line;
  int pid = 0;
  if (!in || !std::getline(in, first_line) || !absl::SimpleAtoi(first_line, &pid) || pid <= 0) {
    return absl::NotFoundError(absl::StrCat("no postmaster.pid in ", data_dir_));
  }
  return static_cast<pid_t>(pid);
}

std::string PgCluster::ReadServerLog() const { return TailOfFile(log_path_, std::string::npos); }

std::string PgCluster::Dsn(std::string_view dbname) const {
  return absl::StrCat("host=", ConnValue(root_dir_), " port=", port_,
                      " user=postgres dbname=", ConnValue(dbname));
}

std::string PgCluster::TcpDsn(std::string_view dbname, std::string_view user,
                              std::string_view password) const {
  std::string dsn = absl::StrCat("host=127.0.0.1 port=", port_, " user=", ConnValue(user),
                                 " dbname=", ConnValue(dbname));
  if (!password.empty()) absl::StrAppend(&dsn, " password=", ConnValue(password));
  return dsn;
}

absl::Status PgCluster::Exec(std::string_view sql, std::string_view dbname) const {
  return PgExec(Dsn(dbname), sql);
}

absl::StatusOr<PgRows> PgCluster::Query(std::string_view sql, std::string_view dbname) const {
  return PgQuery(Dsn(dbname), sql);
}

absl::StatusOr<std::string> PgCluster::CreateDatabase(std::string_view name) const {
  if (absl::Status s = Exec(absl::StrCat("CREATE DATABASE ", QuoteIdentifier(name))); !s.ok()) {
    return s;
  }
  return std::string(name);
}

absl::Status PgCluster::Stop(bool immediate) {
  if (!running_) return absl::FailedPreconditionError("PgCluster::Stop: the server is not running");
  absl::Status s = runner_.Run({Bin("pg_ctl"), "-D", data_dir_, "-m",
                                immediate ? "immediate" : "fast", "-w", "-t", "60", "stop"},
                               root_dir_, root_dir_ + "/pg_ctl.log");
  KillPostmaster();  // no-op after a clean stop; also clears running_
  if (!s.ok()) return absl::InternalError(absl::StrCat("pg_ctl stop failed: ", s.message()));
  return absl::OkStatus();
}

absl::Status PgCluster::Start() {
  if (running_) return absl::FailedPreconditionError("PgCluster::Start: already running");
  if (root_dir_.empty()) return absl::FailedPreconditionError("PgCluster::Start: never created");
  return StartServer();
}

absl::Status PgCluster::Restart(bool immediate) {
  if (absl::Status s = Stop(immediate); !s.ok()) return s;
  return Start();
}

}  // namespace dbmazz::testing
