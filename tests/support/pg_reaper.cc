#include "tests/support/pg_reaper.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

extern char** environ;

namespace dbmazz::testing {
namespace {

constexpr int kMaxClusters = 64;

// Read by the signal handler: constant-initialized, lock-free.
std::atomic<pid_t> g_postmaster_pids[kMaxClusters];
std::atomic<bool> g_handlers_installed{false};
// The process the pids belong to: a forked child (e.g. a death test) must not
// stop its parent's servers.
std::atomic<pid_t> g_owner_pid{0};
struct sigaction g_previous_actions[NSIG];

constexpr int kHandledSignals[] = {SIGINT,  SIGTERM, SIGHUP, SIGSEGV,
                                   SIGABRT, SIGBUS,  SIGFPE, SIGILL};

// Reads "add DIR" / "del DIR" lines until the test process closes the
// socket (by exiting or dying), then stops what is left.
constexpr char kWatchdogScript[] = R"BASH(
declare -A dirs=()
while IFS= read -r line; do
  case "$line" in
    "add "*) dirs["${line#add }"]=1 ;;
    "del "*) key="${line#del }"; unset "dirs[$key]" ;;
  esac
done
pids=()
for d in "${!dirs[@]}"; do
  f="$d/data/postmaster.pid"
  if [ -f "$f" ]; then
    pid=""
    read -r pid < "$f" || true
    if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then pids+=("$pid"); fi
  fi
done
for _ in $(seq 1 50); do
  alive=0
  for p in "${pids[@]}"; do
    if [ -e "/proc/$p/stat" ] && ! grep -q '^[^)]*) [ZX]' "/proc/$p/stat" 2>/dev/null; then alive=1; fi
  done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
for d in "${!dirs[@]}"; do rm -rf -- "$d"; done
)BASH";

struct State {
  std::mutex mu;
  std::map<std::string, int> slots;  // root dir -> index in g_postmaster_pids
  int watchdog_fd = -1;              // our end of the socket; -1 if none
  bool watchdog_tried = false;
};

// After a fork() the child starts with no clusters and its own watchdog.
void ResetIfForkedLocked(State& state) {
  const pid_t self = getpid();
  if (g_owner_pid.load() == self) return;
  if (g_owner_pid.load() != 0) {
    if (state.watchdog_fd >= 0) close(state.watchdog_fd);
    state.watchdog_fd = -1;
    state.watchdog_tried = false;
    state.slots.clear();
    for (std::atomic<pid_t>& slot : g_postmaster_pids) slot.store(0);
  }
  g_owner_pid.store(self);
}

// Never destroyed: used from atexit handlers and late destructors.
State& GetState() {
  static State* state = new State();
  return *state;
}

void AtExit() { PgReaper::KillAllPostmasters(); }

void HandleSignal(int sig) {
  PgReaper::KillAllPostmasters();
  sigaction(sig, &g_previous_actions[sig], nullptr);
  raise(sig);  // delivered with the previous action once this handler returns
}

// Starts the watchdog; called with the state's mutex held.
void StartWatchdogLocked(State& state) {
  if (state.watchdog_tried) return;
  state.watchdog_tried = true;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::perror("pg_reaper: socketpair (no watchdog; a killed test may leave a server)");
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own session: a Ctrl-C or a kill of the test's process group spares it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  char arg0[] = "dbmazz-pg-reaper";
  char arg1[] = "-c";
  char* argv[] = {arg0, arg1, const_cast<char*>(kWatchdogScript), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/bash", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    std::fprintf(stderr, "pg_reaper: cannot start the watchdog (/bin/bash): error %d\n", rc);
    return;
  }
  state.watchdog_fd = fds[0];
}

void SendLocked(State& state, const std::string& line) {
  if (state.watchdog_fd < 0) return;
  std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(state.watchdog_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // watchdog gone: the atexit/signal paths still work
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

void PgReaper::Register(const std::string& root_dir) {
  State& state = GetState();
  std::lock_guard<std::mutex> lock(state.mu);
  ResetIfForkedLocked(state);
  static bool at_exit_registered = false;
  if (!at_exit_registered) {
    at_exit_registered = std::atexit(AtExit) == 0;
  }
  StartWatchdogLocked(state);
  if (root_dir.find('\n') == std::string::npos) SendLocked(state, "add " + root_dir);
  if (state.slots.count(root_dir) != 0) return;
  for (int i = 0; i < kMaxClusters; ++i) {
    bool used = false;
    for (const auto& [dir, slot] : state.slots) used = used || slot == i;
    if (!used) {
      state.slots[root_dir] = i;
      g_postmaster_pids[i].store(0);
      return;
    }
  }
  // More than kMaxClusters at once: the watchdog still covers this one.
}

void PgReaper::SetPostmasterPid(const std::string& root_dir, pid_t pid) {
  State& state = GetState();
  std::lock_guard<std::mutex> lock(state.mu);
  ResetIfForkedLocked(state);
  auto it = state.slots.find(root_dir);
  if (it != state.slots.end()) g_postmaster_pids[it->second].store(pid);
}

void PgReaper::Unregister(const std::string& root_dir) {
  State& state = GetState();
  std::lock_guard<std::mutex> lock(state.mu);
  ResetIfForkedLocked(state);
  if (root_dir.find('\n') == std::string::npos) SendLocked(state, "del " + root_dir);
  auto it = state.slots.find(root_dir);
  if (it == state.slots.end()) return;
  g_postmaster_pids[it->second].store(0);
  state.slots.erase(it);
}

void PgReaper::InstallSignalHandlers() {
  if (g_handlers_installed.exchange(true)) return;
  for (int sig : kHandledSignals) {
    struct sigaction action = {};
    action.sa_handler = HandleSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(sig, &action, &g_previous_actions[sig]);
  }
}

void PgReaper::KillAllPostmasters() {
  if (g_owner_pid.load() != getpid()) return;  // a forked child: not ours
  for (std::atomic<pid_t>& slot : g_postmaster_pids) {
    const pid_t pid = slot.load();
    if (pid > 0) kill(pid, SIGQUIT);
  }
}

}  // namespace dbmazz::testing
