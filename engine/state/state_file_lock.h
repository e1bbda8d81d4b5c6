// Prepares the state database file before SQLite opens it, and holds an
// exclusive lock on it for the life of the StateStore.
//
// Acquire():
//   - creates the file with mode 0600 if it does not exist (SQLite would use
//     0644, and the file holds pipeline secrets);
//   - refuses anything that is not a regular file, and a symbolic link;
//   - tightens an existing file, and its -wal / -shm / -journal companions, to
//     0600 when group or others had any access;
//   - takes flock(LOCK_EX | LOCK_NB), so a second dbmazzd (or a second
//     StateStore in the same process) cannot run pipelines from the same file.
//     SQLite itself uses POSIX record locks, which flock does not conflict
//     with on Linux, so tools such as `sqlite3 state.db .backup` still work.
//
// Ownership: owns the file descriptor. It must be closed only after SQLite has
// closed the database: closing any descriptor of a file drops every POSIX lock
// the process holds on it, so StateStore destroys its connection first.
// Thread-safety: immutable after Acquire.
// Errors: kFailedPrecondition (not a regular file, symlink, locked by another
// process or StateStore), kPermissionDenied / kInternal (system call failures).
#ifndef DBMAZZ_ENGINE_STATE_STATE_FILE_LOCK_H_
#define DBMAZZ_ENGINE_STATE_STATE_FILE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace dbmazz::state {

class StateFileLock {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateFileLock>> Acquire(
      const std::string& path);

  ~StateFileLock();
  StateFileLock(const StateFileLock&) = delete;
  StateFileLock& operator=(const StateFileLock&) = delete;

 private:
  explicit StateFileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_STATE_FILE_LOCK_H_
