#include "tests/integration/dbmazzd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dbmazz::testing {

DbmazzdProcess::DbmazzdProcess(std::string dbmazzd_binary, std::string dbmazzctl_binary)
    : dbmazzd_(std::move(dbmazzd_binary)), dbmazzctl_(std::move(dbmazzctl_binary)) {}

DbmazzdProcess::~DbmazzdProcess() { Stop(); }

bool DbmazzdProcess::Start(const std::vector<std::string>& args, const std::string& stderr_path) {
  std::vector<std::string> argv = {dbmazzd_, "--listen", "127.0.0.1:0", "--metrics-listen",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  int out[2];
  if (pipe(out) != 0) return false;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (!stderr_path.empty()) {
      int log = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(log, STDERR_FILENO);
    }
    close(out[0]);
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  char line[512];
  address_.clear();
  while (fgets(line, sizeof(line), in) != nullptr) {
    std::string text(line);
    auto pos = text.find("listening on ");
    if (pos != std::string::npos) {
      address_ = text.substr(pos + 13);
      while (!address_.empty() && isspace(static_cast<unsigned char>(address_.back()))) {
        address_.pop_back();
      }
      break;
    }
  }
  // Keep draining the server's stdout so it never blocks on a full pipe.
  drain_ = std::thread([in] {
    char buffer[512];
    while (fgets(buffer, sizeof(buffer), in) != nullptr) {
    }
    fclose(in);
  });
  return !address_.empty();
}

int DbmazzdProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = 0;
  if (drain_.joinable()) drain_.join();
  return status;
}

DbmazzdProcess::CtlResult DbmazzdProcess::Ctl(const std::string& args) const {
  std::string command = absl::StrCat(dbmazzctl_, " --server ", address_, " ", args, " 2>&1");
  CtlResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), p)) > 0) r.out.append(buffer, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

}  // namespace dbmazz::testing
