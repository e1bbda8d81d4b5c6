#include "tests/bench/recvlogical.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dbmazz::bench {

double RunRecvlogical(const std::string& recvlogical, const std::string& dsn,
                      const std::string& slot, const std::string& publication, Lsn end_lsn,
                      int proto) {
  // pg_recvlogical stops after writing the record at exactly --endpos.
  std::vector<std::string> args = {recvlogical, "-d",
                                   dsn,         "--slot",
                                   slot,        "--start",
                                   "-f",        "/dev/null",
                                   "-o",        absl::StrCat("proto_version=", proto),
                                   "-o",        absl::StrCat("publication_names=", publication),
                                   "-E",        FormatLsn(end_lsn),
                                   "--no-loop"};
  absl::Time start = absl::Now();
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "pg_recvlogical failed (status %d)\n", status);
    std::exit(1);
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

}  // namespace dbmazz::bench
