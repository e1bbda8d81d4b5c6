#include "engine/state/state_file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dbmazz::state {
namespace {

constexpr mode_t kFileMode = 0600;

absl::Status ErrnoStatus(int error, const std::string& what) {
  std::string text = absl::StrCat(what, ": ", std::strerror(error));
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(text);
  return absl::InternalError(text);
}

// Removes group/other access from an existing companion file (-wal, -shm,
// -journal), which SQLite creates with the database file's mode.
absl::Status TightenCompanion(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("inspecting '", path, "'"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' exists but is not a regular file"));
  }
  if ((st.st_mode & 077) != 0 && chmod(path.c_str(), kFileMode) != 0) {
    return ErrnoStatus(errno, absl::StrCat("restricting '", path, "' to mode 0600"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateFileLock>> StateFileLock::Acquire(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode);
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(
          absl::StrCat("state database '", path, "' is a symbolic link; give the real path"));
    }
    return ErrnoStatus(errno, absl::StrCat("opening state database '", path, "'"));
  }
  std::unique_ptr<StateFileLock> lock(new StateFileLock(fd));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("inspecting state database '", path, "'"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state database '", path, "' is not a regular file"));
  }
  if ((st.st_mode & 077) != 0 && fchmod(fd, kFileMode) != 0) {
    return ErrnoStatus(errno, absl::StrCat("restricting state database '", path, "' to mode 0600"));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("state database '", path,
                       "' is in use by another dbmazzd process (or another StateStore)"));
    }
    return ErrnoStatus(errno, absl::StrCat("locking state database '", path, "'"));
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    absl::Status status = TightenCompanion(path + suffix);
    if (!status.ok()) return status;
  }
  return lock;
}

StateFileLock::~StateFileLock() { close(fd_); }

}  // namespace dbmazz::state
