#include "tests/bench/child_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::bench {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(std::vector<std::string> argv,
                                                                  std::string_view ready_marker,
                                                                  absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("ChildProcess: empty argv");
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("ChildProcess: pipe failed");
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("ChildProcess: fork failed");
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  int fd = out[0];
  std::string pending;
  absl::Time deadline = absl::Now() + timeout;
  bool ready = false;
  while (!ready) {
    int left_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    pollfd p{fd, POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0) break;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;  // the child closed stdout (exited)
    pending.append(buffer, static_cast<size_t>(n));
    for (size_t eol; !ready && (eol = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (line.find(ready_marker) != std::string::npos) {
        child->ready_line_ = line;
        ready = true;
      }
    }
  }
  // Keep draining stdout so the child never blocks writing to it.
  child->drain_ = std::thread([fd] {
    char buffer[4096];
    while (read(fd, buffer, sizeof(buffer)) > 0) {
    }
    close(fd);
  });
  if (!ready) {
    child->Stop();
    return absl::UnavailableError(
        absl::StrCat("ChildProcess: ", argv[0], " did not print \"", AsAbsl(ready_marker), "\""));
  }
  return child;
}

ChildProcess::~ChildProcess() { Stop(); }

int ChildProcess::Stop() {
  int status = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }
  if (drain_.joinable()) drain_.join();
  return status;
}

double ChildProcess::CpuSeconds() const {
  if (pid_ <= 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", pid_, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after "(comm)": state is field 3; utime and stime are 14 and 15.
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(close_paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace dbmazz::bench
