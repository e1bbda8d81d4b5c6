// The source-side checks of ValidateLive (spec_validator.h) over an open
// connection, plus the helpers spec_validator.cc shares. Internal to the
// dbmazz_pipeline_spec library.
//
// Ownership: borrows the spec, context and connection for its lifetime.
// Thread-safety: one thread at a time (as the connection).
#ifndef DBMAZZ_ENGINE_PIPELINE_SOURCE_CHECKER_H_
#define DBMAZZ_ENGINE_PIPELINE_SOURCE_CHECKER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/pipeline/spec_validator.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"

namespace dbmazz::pipeline {

CheckResult PassCheck(std::string name, std::string message);
CheckResult FailCheck(std::string name, std::string message,
                      absl::StatusCode code = absl::StatusCode::kFailedPrecondition);

// The code a failed check reports for an error met while checking:
// kPermissionDenied, kUnauthenticated and kInvalidArgument as they are;
// kUnavailable and kDeadlineExceeded as kUnavailable; others
// kFailedPrecondition.
absl::StatusCode CheckCodeFor(const absl::Status& status);

// Every check SourceChecker::Run appends, in its order (ValidateLive reports
// them as skipped when the source is unreachable).
std::vector<std::string> SourceCheckNames(const PipelineSpec& spec);

class SourceChecker {
 public:
  SourceChecker(const PipelineSpec& spec, const ValidationContext& context,
                postgres::PgConnection* conn)
      : spec_(spec), context_(context), conn_(conn), admin_(conn) {}

  // Appends one result per SourceCheckNames(spec) entry, in that order. If
  // the catalog cannot be read at all, each carries that error.
  void Run(std::vector<CheckResult>* out);

 private:
  // What the session and the pipeline's existing objects look like.
  struct SourceState {
    postgres::ServerInfo server;
    std::string user;
    std::string database;
    bool can_create_in_database = false;
    int64_t slots_used = 0;
    int64_t wal_senders_used = 0;
    std::optional<postgres::SlotInfo> slot;
    struct Publication {
      bool all_tables = false;
      bool insert = false, update = false, del = false, truncate = false;
      bool via_root = false;
      std::string owner;
      bool role_has_owner_rights = false;
      std::vector<postgres::TableName> tables;
    };
    std::optional<Publication> publication;
  };

  struct TableState {
    std::optional<postgres::TableInfo> info;  // nullopt: not described
    bool owned = false;                       // the role has the owner's rights
  };

  absl::Status LoadState();
  absl::StatusOr<postgres::PgResult> Query(const std::string& sql) {
    return conn_->Exec(sql, context_.query_timeout);
  }
  void ServerChecks(std::vector<CheckResult>* out);
  void TableChecks(const TableSpec& table, TableState* state, std::vector<CheckResult>* out);
  CheckResult Identity(const TableSpec& table, const postgres::TableInfo& info);
  CheckResult Slot();
  CheckResult Publication(const std::vector<TableState>& tables);

  const PipelineSpec& spec_;
  const ValidationContext& context_;
  postgres::PgConnection* conn_;
  postgres::SourceAdmin admin_;
  SourceState state_;
};

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_SOURCE_CHECKER_H_
