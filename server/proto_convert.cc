#include "server/proto_convert.h"

#include <charconv>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/common/lsn.h"
#include "engine/postgres/identifiers.h"

namespace dbmazz::server {
namespace {

namespace v1 = ::dbmazz::v1;

constexpr int64_t kMaxDurationSeconds = 315576000000;  // google.protobuf.Duration's limit

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", AsAbsl(problem)));
}

std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

bool Finite(absl::Time time) {
  return time != absl::InfinitePast() && time != absl::InfiniteFuture();
}

std::string LsnText(Lsn lsn) { return lsn == kInvalidLsn ? std::string() : FormatLsn(lsn); }

absl::StatusOr<postgres::TableName> TableFromProto(const std::string& text,
                                                   std::string_view field) {
  auto table = postgres::ParseTableName(text);
  if (!table.ok()) return FieldError(field, Message(table.status()));
  return table;
}

// Engine field paths that are proto paths under "spec.".
constexpr std::string_view kSpecFields[] = {"source.dsn",
                                            "source.slot_name",
                                            "source.publication_name",
                                            "sink.fe_url",
                                            "sink.database",
                                            "sink.user",
                                            "sink.password",
                                            "sink.connect_timeout",
                                            "sink.request_timeout",
                                            "sink.max_retries",
                                            "batching.max_rows",
                                            "batching.max_bytes",
                                            "batching.max_latency",
                                            "ignore_truncate",
                                            "tables",
                                            "alerts.max_lag",
                                            "alerts.max_retained_wal_bytes"};

}  // namespace

absl::Status ValidatePipelineIdField(std::string_view pipeline_id) {
  absl::Status status = pipeline::ValidatePipelineId(pipeline_id);
  if (status.ok()) return status;
  return MapSpecError(status, v1::PipelineSpec());
}

absl::StatusOr<absl::Duration> DurationFromProto(const google::protobuf::Duration& proto,
                                                 std::string_view field) {
  if (proto.seconds() < 0 || proto.nanos() < 0) return FieldError(field, "must not be negative");
  if (proto.seconds() > kMaxDurationSeconds || proto.nanos() > 999999999) {
    return FieldError(field, "is not a valid duration");
  }
  return absl::Seconds(proto.seconds()) + absl::Nanoseconds(proto.nanos());
}

void DurationToProto(absl::Duration duration, google::protobuf::Duration* proto) {
  int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
}

void TimeToProto(absl::Time time, google::protobuf::Timestamp* proto) {
  if (!Finite(time)) return;
  int64_t seconds = absl::ToUnixSeconds(time);  // rounds down
  proto->set_seconds(seconds);
  proto->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

absl::Time TimeFromProto(const google::protobuf::Timestamp& proto) {
  return absl::FromUnixSeconds(proto.seconds()) + absl::Nanoseconds(proto.nanos());
}

absl::StatusOr<pipeline::PipelineSpec> SpecFromProto(const v1::PipelineSpec& proto) {
  pipeline::PipelineSpec spec;
  spec.source.dsn = proto.source().dsn();
  spec.source.slot_name = proto.source().slot_name();
  spec.source.publication_name = proto.source().publication_name();
  for (int i = 0; i < proto.tables_size(); ++i) {
    auto table = TableFromProto(proto.tables(i), absl::StrCat("spec.tables[", i, "]"));
    if (!table.ok()) return table.status();
    spec.tables.push_back({std::move(*table), "", {}});
  }
  for (int i = 0; i < proto.table_mappings_size(); ++i) {
    const v1::TableMapping& mapping = proto.table_mappings(i);
    std::string field = absl::StrCat("spec.table_mappings[", i, "]");
    auto table = TableFromProto(mapping.source(), absl::StrCat(field, ".source"));
    if (!table.ok()) return table.status();
    pipeline::TableSpec entry{std::move(*table), mapping.target(), {}};
    entry.key_columns.assign(mapping.key_columns().begin(), mapping.key_columns().end());
    spec.tables.push_back(std::move(entry));
  }
  const v1::StarRocksSink& sink = proto.sink();
  spec.sink.fe_url = sink.fe_url();
  spec.sink.database = sink.database();
  spec.sink.user = sink.user();
  spec.sink.password = sink.password();
  if (sink.has_connect_timeout()) {
    auto d = DurationFromProto(sink.connect_timeout(), "spec.sink.connect_timeout");
    if (!d.ok()) return d.status();
    spec.sink.connect_timeout = *d;
  }
  if (sink.has_request_timeout()) {
    auto d = DurationFromProto(sink.request_timeout(), "spec.sink.request_timeout");
    if (!d.ok()) return d.status();
    spec.sink.request_timeout = *d;
  }
  if (sink.has_max_retries()) spec.sink.max_retries = sink.max_retries();
  const v1::Batching& batching = proto.batching();
  if (batching.has_max_rows()) spec.batching.max_rows = batching.max_rows();
  if (batching.has_max_bytes()) spec.batching.max_bytes = batching.max_bytes();
  if (batching.has_max_latency()) {
    auto d = DurationFromProto(batching.max_latency(), "spec.batching.max_latency");
    if (!d.ok()) return d.status();
    spec.batching.max_latency = *d;
  }
  spec.ignore_truncate = proto.ignore_truncate();
  if (proto.alerts().has_max_lag()) {
    auto d = DurationFromProto(proto.alerts().max_lag(), "spec.alerts.max_lag");
    if (!d.ok()) return d.status();
    spec.alerts.max_lag = *d;
  }
  if (proto.alerts().has_max_retained_wal_bytes()) {
    spec.alerts.max_retained_wal_bytes = proto.alerts().max_retained_wal_bytes();
  }
  return spec;
}

absl::Status MapSpecError(const absl::Status& status, const v1::PipelineSpec& proto) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  std::string_view message = Message(status);
  std::string mapped;
  constexpr std::string_view kId = "pipeline id";
  if (message.substr(0, kId.size()) == kId) {
    mapped = absl::StrCat("pipeline_id", AsAbsl(message.substr(kId.size())));
  } else if (message.substr(0, 7) == "tables[") {
    size_t close = message.find(']');
    if (close == std::string_view::npos) return status;
    int index = 0;
    auto [end, error] = std::from_chars(message.data() + 7, message.data() + close, index);
    if (error != std::errc() || end != message.data() + close) {
      return status;
    }
    std::string_view rest = message.substr(close + 1);
    if (index < proto.tables_size()) {
      mapped = absl::StrCat("spec.tables[", index, "]", AsAbsl(rest));
    } else {
      int mapping = index - proto.tables_size();
      mapped = absl::StrCat("spec.table_mappings[", mapping, "]", AsAbsl(rest));
    }
  } else {
    for (std::string_view field : kSpecFields) {
      if (message.substr(0, field.size()) == field && message.size() > field.size() &&
          (message[field.size()] == ':' || message[field.size()] == '[')) {
        mapped = absl::StrCat("spec.", AsAbsl(message));
        break;
      }
    }
    if (mapped.empty()) return status;
  }
  return absl::InvalidArgumentError(mapped);
}

void SpecToProto(const pipeline::PipelineSpec& spec, dbmazz::v1::PipelineSpec* proto,
                 bool redact_password) {
  v1::PostgresSource* source = proto->mutable_source();
  source->set_dsn(spec.source.dsn);
  source->set_slot_name(spec.source.slot_name);
  source->set_publication_name(spec.source.publication_name);
  for (const pipeline::TableSpec& table : spec.tables) {
    bool plain =
        (table.target.empty() || table.target == table.source.name) && table.key_columns.empty();
    if (plain) {
      proto->add_tables(table.source.Display());
      continue;
    }
    v1::TableMapping* mapping = proto->add_table_mappings();
    mapping->set_source(table.source.Display());
    mapping->set_target(table.target);
    for (const std::string& column : table.key_columns) mapping->add_key_columns(column);
  }
  v1::StarRocksSink* sink = proto->mutable_sink();
  sink->set_fe_url(spec.sink.fe_url);
  sink->set_database(spec.sink.database);
  sink->set_user(spec.sink.user);
  sink->set_password(spec.sink.password.empty() || !redact_password ? spec.sink.password
                                                                    : pipeline::kRedacted);
  DurationToProto(spec.sink.connect_timeout, sink->mutable_connect_timeout());
  DurationToProto(spec.sink.request_timeout, sink->mutable_request_timeout());
  sink->set_max_retries(spec.sink.max_retries);
  v1::Batching* batching = proto->mutable_batching();
  batching->set_max_rows(spec.batching.max_rows);
  batching->set_max_bytes(spec.batching.max_bytes);
  DurationToProto(spec.batching.max_latency, batching->mutable_max_latency());
  proto->set_ignore_truncate(spec.ignore_truncate);
  v1::Alerts* alerts = proto->mutable_alerts();
  DurationToProto(spec.alerts.max_lag, alerts->mutable_max_lag());
  alerts->set_max_retained_wal_bytes(spec.alerts.max_retained_wal_bytes);
}

v1::PipelineWarning::Kind WarningKindToProto(runtime::WarningKind kind) {
  switch (kind) {
    case runtime::WarningKind::kRetainedWalHigh:
      return v1::PipelineWarning::RETAINED_WAL_HIGH;
    case runtime::WarningKind::kLagHigh:
      return v1::PipelineWarning::LAG_HIGH;
    case runtime::WarningKind::kSlotWalUnreserved:
      return v1::PipelineWarning::SLOT_WAL_UNRESERVED;
  }
  return v1::PipelineWarning::KIND_UNSPECIFIED;
}

v1::Pipeline::State StateToProto(runtime::PipelineState state) {
  switch (state) {
    case runtime::PipelineState::kCreating:
      return v1::Pipeline::CREATING;
    case runtime::PipelineState::kSnapshotting:
      return v1::Pipeline::SNAPSHOTTING;
    case runtime::PipelineState::kStreaming:
      return v1::Pipeline::STREAMING;
    case runtime::PipelineState::kPaused:
      return v1::Pipeline::PAUSED;
    case runtime::PipelineState::kRetrying:
      return v1::Pipeline::RETRYING;
    case runtime::PipelineState::kFailed:
      return v1::Pipeline::FAILED;
    case runtime::PipelineState::kDeleting:
      return v1::Pipeline::DELETING;
    case runtime::PipelineState::kCompleted:
      return v1::Pipeline::COMPLETED;
    case runtime::PipelineState::kUnspecified:
      break;
  }
  return v1::Pipeline::STATE_UNSPECIFIED;
}

void StatusToProto(const runtime::PipelineStatus& status, v1::Pipeline* proto) {
  proto->set_pipeline_id(status.pipeline_id);
  SpecToProto(status.spec, proto->mutable_spec());
  proto->set_state(StateToProto(status.state));
  proto->set_message(status.message);
  proto->set_desired_state(status.desired_state == state::DesiredState::kPaused
                               ? v1::Pipeline::PAUSED_BY_USER
                               : v1::Pipeline::RUNNING);
  if (Finite(status.create_time)) TimeToProto(status.create_time, proto->mutable_create_time());
  if (Finite(status.update_time)) TimeToProto(status.update_time, proto->mutable_update_time());
  if (Finite(status.state_time)) TimeToProto(status.state_time, proto->mutable_state_time());

  v1::PipelineStats* stats = proto->mutable_stats();
  stats->set_rows_inserted(status.rows_inserted);
  stats->set_rows_updated(status.rows_updated);
  stats->set_rows_deleted(status.rows_deleted);
  stats->set_transactions(status.transactions);
  stats->set_rows_loaded(status.rows_loaded);
  stats->set_bytes_received(status.bytes_received);
  stats->set_checkpoint_lsn(LsnText(status.checkpoint_lsn));
  stats->set_confirmed_lsn(LsnText(status.confirmed_lsn));
  stats->set_received_lsn(LsnText(status.received_lsn));
  if (status.slot.has_value()) {
    const runtime::SlotHealth& slot = *status.slot;
    stats->set_server_wal_lsn(LsnText(slot.server_wal_lsn));
    stats->set_lag_bytes(status.lag_bytes);
    stats->set_retained_wal_bytes(slot.retained_wal_bytes);
    stats->set_slot_wal_status(slot.wal_status);
    if (Finite(slot.sample_time)) TimeToProto(slot.sample_time, stats->mutable_slot_sample_time());
  }
  stats->set_last_error(status.last_error);
  if (Finite(status.last_error_time)) {
    TimeToProto(status.last_error_time, stats->mutable_last_error_time());
  }
  stats->set_retry_attempt(status.attempt);
  if (Finite(status.next_attempt_time)) {
    TimeToProto(status.next_attempt_time, stats->mutable_next_attempt_time());
  }
  stats->set_backpressured(status.backpressured);
  stats->set_loads(status.loads_completed);
  stats->set_load_failures(status.load_failures);
  stats->set_lag_seconds(absl::ToDoubleSeconds(status.lag));
  for (const runtime::PipelineWarning& w : status.warnings) {
    v1::PipelineWarning* warning = proto->add_warnings();
    warning->set_kind(WarningKindToProto(w.kind));
    warning->set_message(w.message);
    TimeToProto(w.since, warning->mutable_since());
  }
  if (status.snapshot.has_value()) {
    const runtime::SnapshotStatus& s = *status.snapshot;
    v1::SnapshotProgress* snapshot = proto->mutable_snapshot();
    snapshot->set_done(s.done);
    snapshot->set_attempt(s.epoch);
    snapshot->set_rows_copied(s.rows_copied);
    snapshot->set_rows_estimate(s.rows_estimate);
    snapshot->set_chunks_done(s.chunks_done);
    snapshot->set_chunks_total(s.chunks_total);
    snapshot->set_rows_per_second(s.rows_per_second);
    for (const snapshot::TableProgress& t : s.tables) {
      v1::SnapshotProgress::Table* table = snapshot->add_tables();
      table->set_table(t.table);
      table->set_rows_copied(t.rows_copied);
      table->set_rows_estimate(t.rows_estimate);
      table->set_chunks_done(t.chunks_done);
      table->set_chunks_total(t.chunks_total);
    }
  }
}

void CheckToProto(const pipeline::CheckResult& check, v1::ValidationCheck* proto) {
  proto->set_name(check.name);
  proto->set_passed(check.passed);
  proto->set_message(check.message);
}

void EventToProto(const state::EventRecord& event, v1::PipelineEvent* proto) {
  proto->set_id(event.id);
  if (Finite(event.time)) TimeToProto(event.time, proto->mutable_time());
  proto->set_kind(event.kind);
  proto->set_message(event.message);
}

}  // namespace dbmazz::server
