// A write transaction on a SqliteConnection: BEGIN IMMEDIATE on creation,
// ROLLBACK on destruction unless Commit() succeeded.
//
// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
// half-way with SQLITE_BUSY while upgrading a read lock.
//
// Ownership: borrows the connection; must not outlive it.
// Thread-safety: the connection's (under the caller's lock).
// Errors: SqliteStatus codes (sqlite_error.h).
#ifndef DBMAZZ_ENGINE_STATE_SQLITE_TRANSACTION_H_
#define DBMAZZ_ENGINE_STATE_SQLITE_TRANSACTION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/state/sqlite_connection.h"

namespace dbmazz::state {

class Transaction {
 public:
  [[nodiscard]] static absl::StatusOr<Transaction> Begin(SqliteConnection& connection);

  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // COMMIT. With synchronous=FULL the changes are on stable storage when this
  // returns OK. On failure the transaction is rolled back (by SQLite or by
  // the destructor).
  [[nodiscard]] absl::Status Commit();

 private:
  explicit Transaction(SqliteConnection* connection) : connection_(connection) {}
  SqliteConnection* connection_;  // null once committed or moved from
};

}  // namespace dbmazz::state

#endif  // DBMAZZ_ENGINE_STATE_SQLITE_TRANSACTION_H_
