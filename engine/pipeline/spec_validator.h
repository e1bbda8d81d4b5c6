// Live checks of a pipeline spec against its PostgreSQL source (and,
// optionally, the StarRocks FE): what `dbmazzctl validate` shows and what
// CreatePipeline refuses on.
//
//   ValidationContext context;
//   context.other_slots = {...};            // names other pipelines own
//   auto checks = ValidateLive(spec, context);
//   absl::Status first = FirstFailure(*checks);
//
// Checks, in this order, with stable names:
//   source.reachable                 connects (libpq's message, secrets scrubbed)
//   source.wal_level                 wal_level = logical
//   source.standard_conforming_strings  on (our quoting relies on it)
//   source.replication_privilege     the role has REPLICATION (or superuser)
//   source.max_replication_slots     a free slot, unless ours already exists
//   source.max_wal_senders           a free WAL sender for the stream
//   table.<schema.table>.exists      an ordinary or partitioned table
//   table.<schema.table>.identity    a primary key (or replica identity index),
//                                    or REPLICA IDENTITY FULL with key_columns;
//                                    key_columns must be columns of the table
//                                    (and of the primary key, whose columns
//                                    are all that deletes carry)
//   table.<schema.table>.select_privilege  SELECT (only when snapshot_mode
//                                    copies the tables)
//   slot.available                   absent (will be created), or present and
//                                    this pipeline's (logical, pgoutput, this
//                                    database, not lost); never another
//                                    pipeline's or a stranger's
//   publication.available            not another pipeline's; absent and
//                                    creatable by the role (CREATE on the
//                                    database, owner of the tables), or present,
//                                    publishing insert/update/delete (and
//                                    truncate unless ignored) and either
//                                    covering the tables or alterable by the role
//   sink.reachable                   (context.check_sink) the FE answers HTTP
// <schema.table> is TableName::Display(). When the source cannot be reached,
// every source-dependent check is reported failed with the message
// "skipped: source unreachable"; after a missing table, its other checks are
// "skipped: table missing".
//
// Ownership: opens and closes its own connection per call.
// Thread-safety: free functions; calls are independent.
#ifndef DBMAZZ_ENGINE_PIPELINE_SPEC_VALIDATOR_H_
#define DBMAZZ_ENGINE_PIPELINE_SPEC_VALIDATOR_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/pipeline/pipeline_spec.h"

namespace dbmazz::pipeline {

struct CheckResult {
  std::string name;  // stable, e.g. "source.wal_level", "table.public.orders.identity"
  bool passed = false;
  std::string message;  // what was found; for a failure, also what to do
  // The status code FirstFailure reports for this check when it failed:
  // kUnavailable (source or FE unreachable), kUnauthenticated (credentials),
  // kPermissionDenied (privileges), kInvalidArgument (unusable DSN),
  // kFailedPrecondition (everything else). kOk when passed.
  absl::StatusCode code = absl::StatusCode::kOk;
};

struct ValidationContext {
  // Slot and publication names owned by OTHER pipelines of this daemon.
  std::set<std::string, std::less<>> other_slots;
  std::set<std::string, std::less<>> other_publications;
  // This pipeline created spec.source.slot_name / publication_name before
  // (an update or a restart validates against its own objects).
  bool owns_slot = false;
  bool owns_publication = false;
  // Also probe sink.fe_url (sink.reachable).
  bool check_sink = true;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration query_timeout = absl::Seconds(30);
  absl::Duration sink_timeout = absl::Seconds(5);
};

// Runs every check. The spec must be complete (ApplyDefaults): kInvalidArgument
// when the slot or publication name or a target is empty. Failures of the
// checks themselves are results, not errors.
[[nodiscard]] absl::StatusOr<std::vector<CheckResult>> ValidateLive(
    const PipelineSpec& spec, const ValidationContext& context);

// OK when every check passed; otherwise the first failed check's code with
// "<name>: <message>".
[[nodiscard]] absl::Status FirstFailure(const std::vector<CheckResult>& checks);

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_SPEC_VALIDATOR_H_
