// What one pipeline replicates: one PostgreSQL source (DSN, tables, its own
// publication and replication slot) into one StarRocks database.
//
//   auto spec = ParseSpecYaml(text);                   // dbmazzctl create -f pipeline.yaml
//   ApplyDefaults("orders-to-sr", &*spec);              // slot/publication/target names
//   ValidateSpecStatic("orders-to-sr", *spec);          // everything checkable offline
//   ValidateLive(*spec, context);                       // spec_validator.h: the source itself
//   store(SpecToJson(*spec, /*redact=*/false));          // SQLite keeps the secrets
//   show(SpecToJson(*spec, /*redact=*/true));            // never shows them
//
// The document schema (YAML, or JSON, which is valid YAML) is the one
// deploy/examples/pipeline.yaml documents; SpecToJson writes the same schema,
// so its output parses back with ParseSpecYaml and SpecFromJson. Unknown and
// duplicated keys are errors (a typo must never be silently ignored).
// Durations are strings with a unit ("500ms", "5s", "1m30s"); byte sizes are
// integers or strings with a unit ("16MiB", "512KiB", "1GB").
//
// Errors: kInvalidArgument whose message starts with the field path, e.g.
// "sink.fe_url: must start with http:// or https://" or
// "tables[1].key_columns[0]: must not be empty". Messages never contain the
// sink password or the DSN's password.
//
// Thread-safety: plain values and free functions.
#ifndef DBMAZZ_ENGINE_PIPELINE_PIPELINE_SPEC_H_
#define DBMAZZ_ENGINE_PIPELINE_PIPELINE_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/postgres/identifiers.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/sink/stream_load_client.h"
#include "engine/sink/table_batcher.h"

namespace dbmazz::pipeline {

// What SpecToJson(redact=true) writes instead of a secret that is set.
inline constexpr char kRedacted[] = "******";

// Largest document ParseSpecYaml / SpecFromJson accept, and collection limits
// (bounds on the work an untrusted document can cause).
inline constexpr size_t kMaxSpecBytes = 1 << 20;
inline constexpr size_t kMaxTables = 10000;
inline constexpr size_t kMaxKeyColumns = 64;

enum class SnapshotMode {
  kInitial,      // copy the tables, then stream changes (default)
  kNever,        // stream changes only
  kInitialOnly,  // copy the tables, then stop
};

// "initial", "never", "initial_only".
std::string_view SnapshotModeName(SnapshotMode mode);

struct SourceSpec {
  // libpq conninfo ("host=... dbname=... user=... password=...") or
  // postgresql:// URI. Must name the database.
  std::string dsn;
  std::string slot_name;         // empty: DefaultSlotName(pipeline id)
  std::string publication_name;  // empty: DefaultPublicationName(pipeline id)
};

struct TableSpec {
  postgres::TableName source;
  std::string target;  // StarRocks table; empty: the source table's name
  // StarRocks primary key columns when the source's replica identity key is
  // not it (required with REPLICA IDENTITY FULL). Empty: the identity key.
  std::vector<std::string> key_columns;
};

struct SinkSpec {
  std::string fe_url;  // http(s)://host[:port][/path], no credentials
  std::string database;
  std::string user;
  std::string password;
  absl::Duration connect_timeout = absl::Milliseconds(5000);
  absl::Duration request_timeout = absl::Seconds(60);
  int max_retries = 8;
};

struct BatchingSpec {
  uint64_t max_rows = sink::BatchLimits{}.max_rows;
  uint64_t max_bytes = sink::BatchLimits{}.max_bytes;
  absl::Duration max_latency = sink::BatchLimits{}.max_latency;
};

// Thresholds that raise a pipeline warning (engine/runtime/pipeline_alerts.h,
// docs/alerts-and-logs.md). 0 disables one.
inline constexpr absl::Duration kDefaultMaxLag = absl::Seconds(300);
inline constexpr uint64_t kDefaultMaxRetainedWalBytes = 1ull << 30;  // 1 GiB
struct AlertSpec {
  // Lag: how long ago the oldest change not yet durable in StarRocks was
  // committed (0 when caught up).
  absl::Duration max_lag = kDefaultMaxLag;
  // WAL the replication slot holds back (pg_current_wal_lsn - restart_lsn).
  uint64_t max_retained_wal_bytes = kDefaultMaxRetainedWalBytes;
  friend bool operator==(const AlertSpec&, const AlertSpec&) = default;
};

struct PipelineSpec {
  SourceSpec source;
  std::vector<TableSpec> tables;
  SinkSpec sink;
  BatchingSpec batching;
  SnapshotMode snapshot_mode = SnapshotMode::kInitial;  // reserved for the snapshot feature
  bool ignore_truncate = false;                         // default: a TRUNCATE stops the pipeline
  AlertSpec alerts;
};

// ---- Documents (spec_codec.cc) ----

// Parses a YAML or JSON document (a document that is strict JSON is read by
// the JSON parser, as SpecFromJson). Checks the structure and value types only
// (required keys present, no unknown keys, numbers and durations well formed);
// ValidateSpecStatic checks the values. kInvalidArgument naming the field.
[[nodiscard]] absl::StatusOr<PipelineSpec> ParseSpecYaml(std::string_view text);

// The spec as a JSON object in the document schema. With `redact`, the sink
// password becomes kRedacted (or "" when empty) and the DSN's password (and
// sslpassword) is replaced by kRedacted; an unparseable DSN is shown as
// "<unparseable DSN>".
std::string SpecToJson(const PipelineSpec& spec, bool redact);

// Reads SpecToJson's output (strict JSON). kInvalidArgument as ParseSpecYaml.
[[nodiscard]] absl::StatusOr<PipelineSpec> SpecFromJson(std::string_view json);

// ---- Defaults, validation, conversion (pipeline_spec.cc) ----

// Pipeline ids are AIP-122-style resource ids: ^[a-z][a-z0-9-]{0,62}$ (a
// lower-case letter, then up to 62 lower-case letters, digits or '-').
// kInvalidArgument ("pipeline id: ...") otherwise.
[[nodiscard]] absl::Status ValidatePipelineId(std::string_view pipeline_id);

// "dbmazz_<id with '-' as '_'>", a valid slot name (ValidateSlotName). Ids too
// long for 63 bytes are cut and end with '_' and 8 hex digits of a fixed
// (FNV-1a) hash of the whole id, so distinct ids keep distinct names.
// Precondition: ValidatePipelineId(pipeline_id) is OK (other input is
// sanitised to [a-z0-9_], but distinctness is then not guaranteed).
std::string DefaultSlotName(std::string_view pipeline_id);
// The same name (publications and slots are separate namespaces).
std::string DefaultPublicationName(std::string_view pipeline_id);

// Fills slot_name, publication_name and empty table targets. Batching and
// timeouts already hold their defaults (BatchLimits, StreamLoadOptions) unless
// set. kInvalidArgument for an invalid pipeline id.
[[nodiscard]] absl::Status ApplyDefaults(std::string_view pipeline_id, PipelineSpec* spec);

// Every rule checkable without network; expects a spec completed by
// ApplyDefaults (empty slot/publication/target names are errors). Returns the
// first violation as kInvalidArgument "<field path>: <problem>":
//   pipeline id format; source.dsn parses (libpq rules; the error never quotes
//   the DSN) and names the database; at least one table and at most
//   kMaxTables; no duplicated source or target tables; target names 1-1024
//   bytes without control characters; key columns non-empty, <= 63 bytes,
//   unique; slot name (ValidateSlotName) and publication name
//   (ValidateIdentifier); sink.fe_url http(s)://host[:port][/path] with a port
//   in 1-65535, no credentials, query or fragment; sink.database and
//   sink.user non-empty; connect_timeout 100ms-5m; request_timeout 1s-1h;
//   max_retries 0-100; batching.max_rows 1-10,000,000; max_bytes 1KiB-1GiB;
//   max_latency 10ms-1h; alerts.max_lag 0 (off) or 1s-30d; max_retained_wal_bytes 0 (off) or
//   >= 1MiB.
[[nodiscard]] absl::Status ValidateSpecStatic(std::string_view pipeline_id,
                                              const PipelineSpec& spec);

// "schema.name" as the sink keys its maps (both parts raw, unquoted).
std::string SinkSourceKey(const postgres::TableName& table);

// Batch limits, table map (every table), key columns (tables that set them)
// and ignore_truncate; other fields keep SinkOptions' defaults.
sink::SinkOptions ToSinkOptions(const PipelineSpec& spec);
// fe_url, database, user, password, timeouts, max_retries; others default.
sink::StreamLoadOptions ToStreamLoadOptions(const PipelineSpec& spec);

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_PIPELINE_SPEC_H_
