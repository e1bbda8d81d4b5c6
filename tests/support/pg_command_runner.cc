#include "tests/support/pg_command_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace dbmazz::testing {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// The environment for server programs: ours without variables that would
// change where or how PostgreSQL runs or what language it speaks.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view var(*e);
    if (var.starts_with("PG") || var.starts_with("LANG") || var.starts_with("LC_") ||
        var.starts_with("LANGUAGE=")) {
      continue;
    }
    env.emplace_back(var);
  }
  env.emplace_back("LC_ALL=C");
  return env;
}

// In the forked child: reports what failed and exits with 127.
[[noreturn]] void ChildFail(const char* what) {
  const char prefix[] = "pg_command_runner: child failed to ";
  (void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  (void)!write(STDERR_FILENO, what, std::strlen(what));
  (void)!write(STDERR_FILENO, "\n", 1);
  _exit(127);
}

// Only async-signal-safe calls from here on: the parent may have threads.
[[noreturn]] void ExecChild(const char* path, char* const* argv, char* const* envp,
                            const char* work_dir, int stdin_fd, int log_fd, bool drop, uid_t uid,
                            gid_t gid, long max_fd) {
  if (dup2(stdin_fd, STDIN_FILENO) < 0) ChildFail("redirect stdin");
  if (dup2(log_fd, STDOUT_FILENO) < 0) ChildFail("redirect stdout");
  if (dup2(log_fd, STDERR_FILENO) < 0) ChildFail("redirect stderr");
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (long fd = 3; fd < max_fd; ++fd) close(static_cast<int>(fd));
  }
  if (drop) {
    if (setgroups(1, &gid) != 0) ChildFail("setgroups");
    if (setgid(gid) != 0) ChildFail("setgid to the postgres group");
    if (setuid(uid) != 0) ChildFail("setuid to the postgres user");
  }
  if (chdir(work_dir) != 0) ChildFail("chdir to the work dir");
  execve(path, argv, envp);
  ChildFail("execve (is the program executable by this user?)");
}

}  // namespace

absl::StatusOr<PgCommandRunner> PgCommandRunner::Create() {
  PgCommandRunner runner;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "the tests run as root, so PostgreSQL must run as the 'postgres' OS user, which does "
          "not exist (install postgresql-15 through deploy/setup.sh)");
    }
    runner.drops_privileges_ = true;
    runner.uid_ = pw->pw_uid;
    runner.gid_ = pw->pw_gid;
    runner.user_name_ = "postgres";
  } else {
    runner.uid_ = geteuid();
    runner.gid_ = getegid();
    const passwd* pw = getpwuid(runner.uid_);
    runner.user_name_ = pw != nullptr ? pw->pw_name : absl::StrCat("uid ", runner.uid_);
  }
  return runner;
}

absl::Status PgCommandRunner::Run(const std::vector<std::string>& argv, const std::string& work_dir,
                                  const std::string& log_path) const {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return absl::InvalidArgumentError("PgCommandRunner::Run needs an absolute program path");
  }
  // Everything the child needs is prepared before fork().
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  std::vector<std::string> env = ChildEnvironment();
  std::vector<char*> c_env;
  for (std::string& var : env) c_env.push_back(var.data());
  c_env.push_back(nullptr);
  const long max_fd = std::min<long>(sysconf(_SC_OPEN_MAX), 65536);

  const int stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (stdin_fd < 0) return absl::InternalError("cannot open /dev/null: " + ErrnoText(errno));
  const std::string& out_path = log_path.empty() ? std::string("/dev/null") : log_path;
  const int log_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    const int err = errno;
    close(stdin_fd);
    return absl::InternalError(absl::StrCat("cannot open ", out_path, ": ", ErrnoText(err)));
  }

  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(c_argv[0], c_argv.data(), c_env.data(), work_dir.c_str(), stdin_fd, log_fd,
              drops_privileges_, uid_, gid_, max_fd);
  }
  const int fork_errno = errno;
  close(stdin_fd);
  close(log_fd);
  if (pid < 0) return absl::InternalError("fork failed: " + ErrnoText(fork_errno));

  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return absl::InternalError("waitpid failed: " + ErrnoText(errno));
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();

  std::string how = WIFEXITED(wstatus) ? absl::StrCat("exited with status ", WEXITSTATUS(wstatus))
                                       : absl::StrCat("was killed by signal ", WTERMSIG(wstatus));
  return absl::InternalError(absl::StrCat("`", absl::StrJoin(argv, " "), "` (as ", user_name_, ") ",
                                          how, "; output:\n", TailOfFile(log_path)));
}

absl::Status PgCommandRunner::Chown(const std::string& path) const {
  if (!drops_privileges_) return absl::OkStatus();
  if (chown(path.c_str(), uid_, gid_) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot chown ", path, " to ", user_name_, ": ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

std::string TailOfFile(const std::string& path, size_t max_bytes) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

}  // namespace dbmazz::testing
