#include "engine/pipeline/pipeline_spec.h"

#include <chrono>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/absl_compat.h"
#include "engine/pipeline/dsn_info.h"
#include "engine/sink/fe_url.h"

namespace dbmazz::pipeline {
namespace {

constexpr size_t kMaxTargetBytes = 1024;
constexpr size_t kMaxSinkNameBytes = 256;

absl::Status FieldError(std::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", problem));
}

bool IsControl(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool HasControl(std::string_view text) {
  for (char c : text) {
    if (IsControl(c)) return true;
  }
  return false;
}

// A name StarRocks receives (database, user, table): non-empty, bounded, no
// control characters, no surrounding blanks.
absl::Status CheckSinkName(std::string_view field, std::string_view name, size_t max_bytes) {
  if (name.empty()) return FieldError(field, "required");
  if (name.size() > max_bytes) {
    return FieldError(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  if (HasControl(name)) return FieldError(field, "contains a control character");
  if (name.front() == ' ' || name.back() == ' ') {
    return FieldError(field, "must not start or end with a space");
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(std::string_view field, absl::Duration value, absl::Duration min,
                           absl::Duration max) {
  if (value < min || value > max) {
    return FieldError(
        field, absl::StrCat("must be between ", absl::FormatDuration(min), " and ",
                            absl::FormatDuration(max), " (got ", absl::FormatDuration(value), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(std::string_view field, uint64_t value, uint64_t min, uint64_t max) {
  if (value < min || value > max) {
    return FieldError(field,
                      absl::StrCat("must be between ", min, " and ", max, " (got ", value, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckTables(const PipelineSpec& spec) {
  if (spec.tables.empty()) return FieldError("tables", "at least one table is required");
  if (spec.tables.size() > kMaxTables) {
    return FieldError("tables", absl::StrCat("at most ", kMaxTables, " tables"));
  }
  std::set<std::pair<std::string, std::string>> sources;
  std::set<std::string> targets;
  for (size_t i = 0; i < spec.tables.size(); ++i) {
    const TableSpec& t = spec.tables[i];
    std::string path = absl::StrCat("tables[", i, "]");
    if (t.source.name.empty() || t.source.schema.empty()) {
      return FieldError(absl::StrCat(path, ".source"), "required");
    }
    // Re-parse the display form: catches NUL bytes and over-long names that
    // were set directly rather than through ParseTableName.
    if (absl::Status s = postgres::ParseTableName(t.source.Display()).status(); !s.ok()) {
      return FieldError(absl::StrCat(path, ".source"), s.message());
    }
    if (!sources.emplace(t.source.schema, t.source.name).second) {
      return FieldError(absl::StrCat(path, ".source"),
                        absl::StrCat("table ", t.source.Display(), " is listed twice"));
    }
    std::string target_path = absl::StrCat(path, ".target");
    if (t.target.empty()) return FieldError(target_path, "empty (ApplyDefaults fills it)");
    if (absl::Status s = CheckSinkName(target_path, t.target, kMaxTargetBytes); !s.ok()) return s;
    if (!targets.insert(t.target).second) {
      return FieldError(target_path, absl::StrCat("StarRocks table \"", t.target,
                                                  "\" is the target of two source tables"));
    }
    if (t.key_columns.size() > kMaxKeyColumns) {
      return FieldError(absl::StrCat(path, ".key_columns"),
                        absl::StrCat("at most ", kMaxKeyColumns, " columns"));
    }
    std::set<std::string_view> keys;
    for (size_t k = 0; k < t.key_columns.size(); ++k) {
      std::string key_path = absl::StrCat(path, ".key_columns[", k, "]");
      const std::string& key = t.key_columns[k];
      if (key.empty()) return FieldError(key_path, "must not be empty");
      if (key.size() > postgres::kMaxIdentifierBytes || key.find('\0') != std::string::npos) {
        return FieldError(key_path, "must be at most 63 bytes with no NUL byte");
      }
      if (!keys.insert(key).second) {
        return FieldError(key_path, absl::StrCat("column \"", key, "\" is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSink(const SinkSpec& sink) {
  if (sink.fe_url.empty()) return FieldError("sink.fe_url", "required");
  if (absl::Status s = sink::ValidateFeUrl(sink.fe_url); !s.ok()) {
    return FieldError("sink.fe_url", s.message());
  }
  if (absl::Status s = CheckSinkName("sink.database", sink.database, kMaxSinkNameBytes); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckSinkName("sink.user", sink.user, kMaxSinkNameBytes); !s.ok()) return s;
  if (sink.user.find(':') != std::string::npos) {
    return FieldError("sink.user", "must not contain ':' (HTTP Basic authentication)");
  }
  if (sink.password.find('\0') != std::string::npos) {
    return FieldError("sink.password", "contains a NUL byte");
  }
  if (absl::Status s = CheckDuration("sink.connect_timeout", sink.connect_timeout,
                                     absl::Milliseconds(100), absl::Minutes(5));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDuration("sink.request_timeout", sink.request_timeout, absl::Seconds(1),
                                     absl::Hours(1));
      !s.ok()) {
    return s;
  }
  if (sink.max_retries < 0 || sink.max_retries > 100) {
    return FieldError("sink.max_retries",
                      absl::StrCat("must be between 0 and 100 (got ", sink.max_retries, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckBatchingAndAlerts(const PipelineSpec& spec) {
  if (absl::Status s = CheckRange("batching.max_rows", spec.batching.max_rows, 1, 10'000'000);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange("batching.max_bytes", spec.batching.max_bytes, 1 << 10, 1 << 30);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDuration("batching.max_latency", spec.batching.max_latency,
                                     absl::Milliseconds(10), absl::Hours(1));
      !s.ok()) {
    return s;
  }
  absl::Duration max_lag = spec.alerts.max_lag;
  if (max_lag != absl::ZeroDuration() &&
      (max_lag < absl::Seconds(1) || max_lag > absl::Hours(24 * 30))) {
    return FieldError("alerts.max_lag", absl::StrCat("must be 0 (off) or between 1s and 720h (got ",
                                                     absl::FormatDuration(max_lag), ")"));
  }
  if (spec.alerts.max_retained_wal_bytes != 0 && spec.alerts.max_retained_wal_bytes < (1u << 20)) {
    return FieldError("alerts.max_retained_wal_bytes",
                      "must be at least 1MiB (1048576), or 0 to disable");
  }
  return absl::OkStatus();
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t min;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// Every string must be UTF-8: specs are stored and shown as JSON.
absl::Status CheckUtf8(const PipelineSpec& spec) {
  std::vector<std::pair<std::string, const std::string*>> fields = {
      {"source.dsn", &spec.source.dsn},
      {"source.slot_name", &spec.source.slot_name},
      {"source.publication_name", &spec.source.publication_name},
      {"sink.fe_url", &spec.sink.fe_url},
      {"sink.database", &spec.sink.database},
      {"sink.user", &spec.sink.user},
      {"sink.password", &spec.sink.password}};
  for (size_t i = 0; i < spec.tables.size(); ++i) {
    const TableSpec& t = spec.tables[i];
    std::string path = absl::StrCat("tables[", i, "]");
    fields.emplace_back(absl::StrCat(path, ".source"), &t.source.schema);
    fields.emplace_back(absl::StrCat(path, ".source"), &t.source.name);
    fields.emplace_back(absl::StrCat(path, ".target"), &t.target);
    for (size_t k = 0; k < t.key_columns.size(); ++k) {
      fields.emplace_back(absl::StrCat(path, ".key_columns[", k, "]"), &t.key_columns[k]);
    }
  }
  for (const auto& [path, value] : fields) {
    if (!IsValidUtf8(*value)) return FieldError(path, "is not valid UTF-8");
  }
  return absl::OkStatus();
}

uint32_t Fnv1a32(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<uint32_t>(hash ^ (hash >> 32));
}

}  // namespace

std::string_view SnapshotModeName(SnapshotMode mode) {
  switch (mode) {
    case SnapshotMode::kInitial:
      return "initial";
    case SnapshotMode::kNever:
      return "never";
    case SnapshotMode::kInitialOnly:
      return "initial_only";
  }
  return "initial";
}

absl::Status ValidatePipelineId(std::string_view pipeline_id) {
  if (pipeline_id.empty() || pipeline_id.size() > 63) {
    return FieldError("pipeline id", "must be 1 to 63 characters");
  }
  if (!absl::ascii_islower(static_cast<unsigned char>(pipeline_id.front()))) {
    return FieldError("pipeline id", "must start with a lower-case letter (a-z)");
  }
  for (char c : pipeline_id) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return FieldError(
          "pipeline id",
          "may contain only lower-case letters, digits and '-' (^[a-z][a-z0-9-]{0,62}$)");
    }
  }
  return absl::OkStatus();
}

std::string DefaultSlotName(std::string_view pipeline_id) {
  std::string name = "dbmazz_";
  for (char c : pipeline_id) {
    char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_';
    name.push_back(ok ? lower : '_');
  }
  if (name.size() > postgres::kMaxIdentifierBytes) {
    std::string suffix = absl::StrFormat("_%08x", Fnv1a32(pipeline_id));
    name.resize(postgres::kMaxIdentifierBytes - suffix.size());
    name += suffix;
  }
  return name;
}

std::string DefaultPublicationName(std::string_view pipeline_id) {
  return DefaultSlotName(pipeline_id);
}

absl::Status ApplyDefaults(std::string_view pipeline_id, PipelineSpec* spec) {
  if (absl::Status s = ValidatePipelineId(pipeline_id); !s.ok()) return s;
  if (spec->source.slot_name.empty()) spec->source.slot_name = DefaultSlotName(pipeline_id);
  if (spec->source.publication_name.empty()) {
    spec->source.publication_name = DefaultPublicationName(pipeline_id);
  }
  for (TableSpec& table : spec->tables) {
    if (table.target.empty()) table.target = table.source.name;
  }
  return absl::OkStatus();
}

absl::Status ValidateSpecStatic(std::string_view pipeline_id, const PipelineSpec& spec) {
  if (absl::Status s = ValidatePipelineId(pipeline_id); !s.ok()) return s;
  if (absl::Status s = CheckUtf8(spec); !s.ok()) return s;
  if (absl::Status s = CheckDsn("source.dsn", spec.source.dsn); !s.ok()) return s;
  if (spec.source.slot_name.empty()) {
    return FieldError("source.slot_name", "empty (ApplyDefaults fills it)");
  }
  if (absl::Status s = postgres::ValidateSlotName(spec.source.slot_name); !s.ok()) {
    return FieldError("source.slot_name", s.message());
  }
  if (spec.source.publication_name.empty()) {
    return FieldError("source.publication_name", "empty (ApplyDefaults fills it)");
  }
  if (absl::Status s =
          postgres::ValidateIdentifier("publication name", spec.source.publication_name);
      !s.ok()) {
    return FieldError("source.publication_name", s.message());
  }
  if (absl::Status s = CheckTables(spec); !s.ok()) return s;
  if (absl::Status s = CheckSink(spec.sink); !s.ok()) return s;
  return CheckBatchingAndAlerts(spec);
}

std::string SinkSourceKey(const postgres::TableName& table) {
  return absl::StrCat(table.schema, ".", table.name);
}

sink::SinkOptions ToSinkOptions(const PipelineSpec& spec) {
  sink::SinkOptions options;
  options.limits.max_rows = spec.batching.max_rows;
  options.limits.max_bytes = spec.batching.max_bytes;
  options.limits.max_latency = spec.batching.max_latency;
  for (const TableSpec& table : spec.tables) {
    std::string key = SinkSourceKey(table.source);
    options.table_map[key] = table.target.empty() ? table.source.name : table.target;
    if (!table.key_columns.empty()) options.key_columns[key] = table.key_columns;
  }
  options.ignore_truncate = spec.ignore_truncate;
  return options;
}

sink::StreamLoadOptions ToStreamLoadOptions(const PipelineSpec& spec) {
  using std::chrono::milliseconds;
  sink::StreamLoadOptions options;
  options.fe_url = spec.sink.fe_url;
  options.database = spec.sink.database;
  options.user = spec.sink.user;
  options.password = spec.sink.password;
  options.connect_timeout = milliseconds(absl::ToInt64Milliseconds(spec.sink.connect_timeout));
  options.request_timeout = milliseconds(absl::ToInt64Milliseconds(spec.sink.request_timeout));
  options.max_retries = spec.sink.max_retries;
  return options;
}

}  // namespace dbmazz::pipeline
