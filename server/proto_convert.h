// Conversions between the dbmazz.v1 messages and the engine's types. No
// engine logic: shapes and units only.
//
//   auto spec = SpecFromProto(request.spec());       // "spec.tables[2]: ..."
//   if (!spec.ok()) return spec.status();
//   auto created = engine->Create(id, *spec);
//   if (!created.ok()) return MapSpecError(created.status(), request.spec());
//   StatusToProto(*created, &response);
//
// Field paths: errors name the proto field ("spec.sink.connect_timeout",
// "spec.table_mappings[0].source", "pipeline_id", "interval"). The proto
// lists plain `tables` first, then `table_mappings`; the engine spec holds
// them in that order, so engine paths "tables[k]" map back to one or the
// other (MapSpecError).
//
// Timestamps: absl::InfinitePast/InfiniteFuture leave the field unset. LSNs:
// kInvalidLsn is "" (unknown), else FormatLsn.
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_SERVER_PROTO_CONVERT_H_
#define DBMAZZ_SERVER_PROTO_CONVERT_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbmazz/v1/pipeline_service.pb.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/pipeline/spec_validator.h"
#include "engine/runtime/pipeline_status.h"
#include "engine/state/records.h"

namespace dbmazz::server {

// kInvalidArgument "pipeline_id: ..." unless ^[a-z][a-z0-9-]{0,62}$.
[[nodiscard]] absl::Status ValidatePipelineIdField(std::string_view pipeline_id);

// The engine spec for a request's spec. Unset optional fields keep the
// engine's defaults. kInvalidArgument "spec.<field>: ..." for a table name
// that does not parse or a negative or malformed duration; value ranges are
// the engine's (ValidateSpecStatic), see MapSpecError.
[[nodiscard]] absl::StatusOr<pipeline::PipelineSpec> SpecFromProto(
    const dbmazz::v1::PipelineSpec& proto);

// An engine error about a spec converted by SpecFromProto, its field path
// rewritten to the proto's ("tables[3]: x" -> "spec.table_mappings[1]: x",
// "sink.fe_url: x" -> "spec.sink.fe_url: x", "pipeline id: x" ->
// "pipeline_id: x"). Other errors are returned unchanged.
[[nodiscard]] absl::Status MapSpecError(const absl::Status& status,
                                        const dbmazz::v1::PipelineSpec& proto);

// An engine spec (already redacted by the engine) as a proto. Tables with
// the default target and no key columns go to `tables`, others to
// `table_mappings`. A non-empty sink password is written as
// pipeline::kRedacted unless `redact_password` is false (dbmazzctl sending a
// spec file).
void SpecToProto(const pipeline::PipelineSpec& spec, dbmazz::v1::PipelineSpec* proto,
                 bool redact_password = true);

void StatusToProto(const runtime::PipelineStatus& status, dbmazz::v1::Pipeline* proto);
void CheckToProto(const pipeline::CheckResult& check, dbmazz::v1::ValidationCheck* proto);
void EventToProto(const state::EventRecord& event, dbmazz::v1::PipelineEvent* proto);

dbmazz::v1::Pipeline::State StateToProto(runtime::PipelineState state);
dbmazz::v1::PipelineWarning::Kind WarningKindToProto(runtime::WarningKind kind);

// kInvalidArgument "<field>: ..." for a negative or malformed duration.
[[nodiscard]] absl::StatusOr<absl::Duration> DurationFromProto(
    const google::protobuf::Duration& proto, std::string_view field);
void DurationToProto(absl::Duration duration, google::protobuf::Duration* proto);
// Leaves `proto` untouched for an infinite time.
void TimeToProto(absl::Time time, google::protobuf::Timestamp* proto);
absl::Time TimeFromProto(const google::protobuf::Timestamp& proto);

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_PROTO_CONVERT_H_
