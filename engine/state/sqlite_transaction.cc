#include "engine/state/sqlite_transaction.h"

#include <utility>

namespace dbmazz::state {

absl::StatusOr<Transaction> Transaction::Begin(SqliteConnection& connection) {
  absl::StatusOr<Statement> begin = connection.Prepare("BEGIN IMMEDIATE");
  if (!begin.ok()) return begin.status();
  absl::Status status = begin->Run();
  if (!status.ok()) return status;
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ == nullptr || !connection_->InTransaction()) return;
  absl::StatusOr<Statement> rollback = connection_->Prepare("ROLLBACK");
  // Nothing more can be done if ROLLBACK fails: SQLite rolls the journal back
  // the next time the database is opened.
  if (rollback.ok()) rollback->Run().IgnoreError();
}

absl::Status Transaction::Commit() {
  if (connection_ == nullptr) return absl::FailedPreconditionError("transaction already finished");
  absl::StatusOr<Statement> commit = connection_->Prepare("COMMIT");
  if (!commit.ok()) return commit.status();
  absl::Status status = commit->Run();
  if (status.ok()) connection_ = nullptr;
  return status;
}

}  // namespace dbmazz::state
