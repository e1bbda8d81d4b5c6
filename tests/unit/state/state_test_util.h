// Helpers shared by the state store tests: a temporary directory and a
// pipeline record factory.
#ifndef DBMAZZ_TESTS_UNIT_STATE_STATE_TEST_UTIL_H_
#define DBMAZZ_TESTS_UNIT_STATE_STATE_TEST_UTIL_H_

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/state/records.h"

namespace dbmazz::state::testing {

// A fresh directory from mkdtemp under $TMPDIR (or /tmp), removed with its
// contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp") + "/dbmazz-state-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// A pipeline record with distinct slot and publication names derived from `id`.
inline PipelineRecord MakeRecord(std::string_view id) {
  PipelineRecord record;
  record.pipeline_id = std::string(id);
  record.spec = R"({"source":{"dsn":"postgresql://app:s3cret@db/app"},"tables":["public.t"]})";
  record.slot_name = "dbmazz_" + std::string(id);
  record.publication_name = "dbmazz_pub_" + std::string(id);
  return record;
}

// Permission bits of `path`, or -1 if it cannot be stat'ed.
inline int FileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// Runs `sql` on a separate read-only connection to `path` and returns the
// first column of the first row; -1 on any failure.
inline int64_t QueryInt64(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t result = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

// Runs `sql` (one or more statements) on a separate read-write connection to
// `path`, creating the file if needed. Returns SQLite's error text, "" on success.
inline std::string ExecRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    error = db != nullptr ? sqlite3_errmsg(db) : "open failed";
  } else {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      error = message != nullptr ? message : "exec failed";
    }
    sqlite3_free(message);
  }
  sqlite3_close(db);
  return error;
}

}  // namespace dbmazz::state::testing

#endif  // DBMAZZ_TESTS_UNIT_STATE_STATE_TEST_UTIL_H_
