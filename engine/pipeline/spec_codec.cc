// ParseSpecYaml, SpecToJson and SpecFromJson (declared in pipeline_spec.h).
//
// One decoder reads YAML nodes; SpecFromJson parses strict JSON with
// nlohmann-json and hands the decoder the equivalent YAML tree, so both
// formats follow exactly the same rules. Library exceptions stop here.
#include <yaml-cpp/yaml.h>

#include <exception>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/absl_compat.h"
#include "engine/pipeline/dsn_info.h"
#include "engine/pipeline/pipeline_spec.h"

namespace dbmazz::pipeline {
namespace {

using Json = nlohmann::ordered_json;
constexpr int kMaxJsonDepth = 16;

absl::Status Error(std::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ": ", problem));
}

std::string Join(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : absl::StrCat(AsAbsl(parent), ".", AsAbsl(key));
}

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    default:
      return "null";
  }
}

// `node` must be a map whose keys are among `allowed`, each at most once.
absl::Status CheckMap(const YAML::Node& node, std::string_view path,
                      std::initializer_list<std::string_view> allowed) {
  std::string where = path.empty() ? "document" : std::string(path);
  if (!node.IsMap()) {
    return Error(where, absl::StrCat("must be a map of keys, not ", KindName(node)));
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) return Error(where, "keys must be plain names");
    const std::string& key = it->first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      return Error(Join(path, key),
                   absl::StrCat("unknown key (expected one of: ", absl::StrJoin(names, ", "), ")"));
    }
    if (!seen.insert(key).second) return Error(Join(path, key), "key appears twice");
  }
  return absl::OkStatus();
}

// The value under `key`, or an undefined/null node when absent.
YAML::Node Get(const YAML::Node& map, std::string_view key) { return map[std::string(key)]; }

bool Absent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

absl::StatusOr<std::string> ScalarOf(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be a single value, not ", KindName(node)));
  }
  return node.Scalar();
}

// Reads an optional (or `required`) string; leaves *out alone when absent.
absl::Status ReadString(const YAML::Node& map, std::string_view key, std::string_view parent,
                        bool required, std::string* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return required ? Error(path, "required") : absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  *out = std::move(*text);
  return absl::OkStatus();
}

absl::Status ReadUint(const YAML::Node& map, std::string_view key, std::string_view parent,
                      uint64_t* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  if (text->empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text->front())) ||
      !absl::SimpleAtoi(*text, out)) {
    return Error(path, absl::StrCat("\"", *text, "\" is not a non-negative integer"));
  }
  return absl::OkStatus();
}

absl::Status ReadInt(const YAML::Node& map, std::string_view key, std::string_view parent,
                     int* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  if (!absl::SimpleAtoi(*text, out)) {
    return Error(path, absl::StrCat("\"", *text, "\" is not an integer"));
  }
  return absl::OkStatus();
}

absl::Status ReadBool(const YAML::Node& map, std::string_view key, std::string_view parent,
                      bool* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  std::string lower = absl::AsciiStrToLower(*text);
  if (lower == "true") {
    *out = true;
  } else if (lower == "false") {
    *out = false;
  } else {
    return Error(path, absl::StrCat("\"", *text, "\" is not true or false"));
  }
  return absl::OkStatus();
}

// "500ms", "5s", "1m30s", "1h" (absl::ParseDuration); a bare number is refused.
absl::Status ReadDuration(const YAML::Node& map, std::string_view key, std::string_view parent,
                          std::optional<absl::Duration>* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  absl::Duration value;
  if (*text != "0" && !text->empty() &&
      absl::ascii_isdigit(static_cast<unsigned char>(text->back()))) {
    return Error(path,
                 absl::StrCat("\"", *text, "\" needs a unit, e.g. \"500ms\", \"5s\", \"1m\""));
  }
  if (!absl::ParseDuration(*text, &value)) {
    return Error(path, absl::StrCat("\"", *text,
                                    "\" is not a duration (e.g. \"500ms\", \"5s\", \"1m30s\")"));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadDuration(const YAML::Node& map, std::string_view key, std::string_view parent,
                          absl::Duration* out) {
  std::optional<absl::Duration> value;
  if (absl::Status s = ReadDuration(map, key, parent, &value); !s.ok()) return s;
  if (value.has_value()) *out = *value;
  return absl::OkStatus();
}

// An integer, or a string "<integer><unit>" with unit B, KB, MB, GB (powers of
// 1000) or KiB, MiB, GiB (powers of 1024), case-insensitive.
absl::Status ReadBytes(const YAML::Node& map, std::string_view key, std::string_view parent,
                       std::optional<uint64_t>* out) {
  std::string path = Join(parent, key);
  YAML::Node node = Get(map, key);
  if (Absent(node)) return absl::OkStatus();
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  size_t digits = 0;
  while (digits < text->size() &&
         absl::ascii_isdigit(static_cast<unsigned char>((*text)[digits]))) {
    ++digits;
  }
  std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text->substr(digits)));
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "b") multiplier = 1;
  if (unit == "kb") multiplier = 1000;
  if (unit == "mb") multiplier = 1000 * 1000;
  if (unit == "gb") multiplier = 1000 * 1000 * 1000;
  if (unit == "kib") multiplier = 1ull << 10;
  if (unit == "mib") multiplier = 1ull << 20;
  if (unit == "gib") multiplier = 1ull << 30;
  uint64_t number = 0;
  if (digits == 0 || multiplier == 0 || !absl::SimpleAtoi(text->substr(0, digits), &number) ||
      number > UINT64_MAX / multiplier) {
    return Error(path, absl::StrCat("\"", *text,
                                    "\" is not a byte size (e.g. 16777216, \"16MiB\", \"1GB\")"));
  }
  *out = number * multiplier;
  return absl::OkStatus();
}

absl::Status ReadBytes(const YAML::Node& map, std::string_view key, std::string_view parent,
                       uint64_t* out) {
  std::optional<uint64_t> value;
  if (absl::Status s = ReadBytes(map, key, parent, &value); !s.ok()) return s;
  if (value.has_value()) *out = *value;
  return absl::OkStatus();
}

absl::Status DecodeSource(const YAML::Node& node, SourceSpec* source) {
  if (absl::Status s = CheckMap(node, "source", {"dsn", "slot_name", "publication_name"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadString(node, "dsn", "source", true, &source->dsn); !s.ok()) return s;
  if (absl::Status s = ReadString(node, "slot_name", "source", false, &source->slot_name);
      !s.ok()) {
    return s;
  }
  return ReadString(node, "publication_name", "source", false, &source->publication_name);
}

absl::Status DecodeTableName(const YAML::Node& node, std::string_view path,
                             postgres::TableName* out) {
  auto text = ScalarOf(node, path);
  if (!text.ok()) return text.status();
  auto parsed = postgres::ParseTableName(*text);
  if (!parsed.ok()) return Error(path, parsed.status().message());
  *out = std::move(*parsed);
  return absl::OkStatus();
}

absl::Status DecodeTable(const YAML::Node& node, std::string_view path, TableSpec* table) {
  if (node.IsScalar()) return DecodeTableName(node, path, &table->source);
  if (absl::Status s = CheckMap(node, path, {"source", "target", "key_columns"}); !s.ok()) {
    return s;
  }
  YAML::Node source = Get(node, "source");
  if (Absent(source)) return Error(Join(path, "source"), "required");
  if (absl::Status s = DecodeTableName(source, Join(path, "source"), &table->source); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadString(node, "target", path, false, &table->target); !s.ok()) return s;
  YAML::Node keys = Get(node, "key_columns");
  if (Absent(keys)) return absl::OkStatus();
  std::string keys_path = Join(path, "key_columns");
  if (!keys.IsSequence()) {
    return Error(keys_path, absl::StrCat("must be a list of column names, not ", KindName(keys)));
  }
  if (keys.size() > kMaxKeyColumns) {
    return Error(keys_path, absl::StrCat("at most ", kMaxKeyColumns, " columns"));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    auto key = ScalarOf(keys[i], absl::StrCat(keys_path, "[", i, "]"));
    if (!key.ok()) return key.status();
    table->key_columns.push_back(std::move(*key));
  }
  return absl::OkStatus();
}

absl::Status DecodeTables(const YAML::Node& node, std::vector<TableSpec>* tables) {
  if (!node.IsSequence()) {
    return Error("tables", absl::StrCat("must be a list of tables, not ", KindName(node)));
  }
  if (node.size() > kMaxTables) {
    return Error("tables", absl::StrCat("at most ", kMaxTables, " tables"));
  }
  for (size_t i = 0; i < node.size(); ++i) {
    TableSpec table;
    if (absl::Status s = DecodeTable(node[i], absl::StrCat("tables[", i, "]"), &table); !s.ok()) {
      return s;
    }
    tables->push_back(std::move(table));
  }
  return absl::OkStatus();
}

absl::Status DecodeSink(const YAML::Node& node, SinkSpec* sink) {
  if (absl::Status s = CheckMap(node, "sink",
                                {"fe_url", "database", "user", "password", "connect_timeout",
                                 "request_timeout", "max_retries"});
      !s.ok()) {
    return s;
  }
  for (auto [key, field, required] :
       {std::tuple{"fe_url", &sink->fe_url, true}, std::tuple{"database", &sink->database, true},
        std::tuple{"user", &sink->user, true}, std::tuple{"password", &sink->password, false}}) {
    if (absl::Status s = ReadString(node, key, "sink", required, field); !s.ok()) return s;
  }
  if (absl::Status s = ReadDuration(node, "connect_timeout", "sink", &sink->connect_timeout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadDuration(node, "request_timeout", "sink", &sink->request_timeout);
      !s.ok()) {
    return s;
  }
  return ReadInt(node, "max_retries", "sink", &sink->max_retries);
}

absl::Status DecodeBatching(const YAML::Node& node, BatchingSpec* batching) {
  if (Absent(node)) return absl::OkStatus();
  if (absl::Status s = CheckMap(node, "batching", {"max_rows", "max_bytes", "max_latency"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadUint(node, "max_rows", "batching", &batching->max_rows); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadBytes(node, "max_bytes", "batching", &batching->max_bytes); !s.ok()) {
    return s;
  }
  return ReadDuration(node, "max_latency", "batching", &batching->max_latency);
}

absl::Status DecodeAlerts(const YAML::Node& node, AlertSpec* alerts) {
  if (Absent(node)) return absl::OkStatus();
  if (absl::Status s = CheckMap(node, "alerts", {"max_lag", "max_retained_wal_bytes"}); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadDuration(node, "max_lag", "alerts", &alerts->max_lag); !s.ok()) return s;
  return ReadBytes(node, "max_retained_wal_bytes", "alerts", &alerts->max_retained_wal_bytes);
}

absl::Status DecodeSnapshotMode(const YAML::Node& map, SnapshotMode* mode) {
  std::string text;
  if (absl::Status s = ReadString(map, "snapshot_mode", "", false, &text); !s.ok()) return s;
  if (text.empty()) return absl::OkStatus();
  for (SnapshotMode m :
       {SnapshotMode::kInitial, SnapshotMode::kNever, SnapshotMode::kInitialOnly}) {
    if (text == SnapshotModeName(m)) {
      *mode = m;
      return absl::OkStatus();
    }
  }
  return Error("snapshot_mode",
               absl::StrCat("\"", text, "\" is not one of: initial, never, initial_only"));
}

absl::StatusOr<PipelineSpec> Decode(const YAML::Node& root) {
  if (absl::Status s = CheckMap(
          root, "",
          {"source", "tables", "sink", "batching", "snapshot_mode", "ignore_truncate", "alerts"});
      !s.ok()) {
    return s;
  }
  PipelineSpec spec;
  for (std::string_view key : {"source", "tables", "sink"}) {
    if (Absent(Get(root, key))) return Error(key, "required");
  }
  if (absl::Status s = DecodeSource(Get(root, "source"), &spec.source); !s.ok()) return s;
  if (absl::Status s = DecodeTables(Get(root, "tables"), &spec.tables); !s.ok()) return s;
  if (absl::Status s = DecodeSink(Get(root, "sink"), &spec.sink); !s.ok()) return s;
  if (absl::Status s = DecodeBatching(Get(root, "batching"), &spec.batching); !s.ok()) return s;
  if (absl::Status s = DecodeSnapshotMode(root, &spec.snapshot_mode); !s.ok()) return s;
  if (absl::Status s = ReadBool(root, "ignore_truncate", "", &spec.ignore_truncate); !s.ok()) {
    return s;
  }
  if (absl::Status s = DecodeAlerts(Get(root, "alerts"), &spec.alerts); !s.ok()) return s;
  return spec;
}

absl::StatusOr<YAML::Node> JsonToYaml(const nlohmann::json& value, int depth) {
  if (depth > kMaxJsonDepth) return Error("document", "nested too deeply");
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node node(YAML::NodeType::Map);
      for (const auto& [key, child] : value.items()) {
        auto converted = JsonToYaml(child, depth + 1);
        if (!converted.ok()) return converted.status();
        node[key] = *converted;
      }
      return node;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node node(YAML::NodeType::Sequence);
      for (const auto& child : value) {
        auto converted = JsonToYaml(child, depth + 1);
        if (!converted.ok()) return converted.status();
        node.push_back(*converted);
      }
      return node;
    }
    case nlohmann::json::value_t::null:
      return YAML::Node(YAML::NodeType::Null);
    case nlohmann::json::value_t::string:
      return YAML::Node(value.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return YAML::Node(std::string(value.get<bool>() ? "true" : "false"));
    default:  // numbers
      return YAML::Node(value.dump());
  }
}

std::string RedactSecret(const std::string& secret, bool redact) {
  if (!redact || secret.empty()) return secret;
  return kRedacted;
}

}  // namespace

absl::StatusOr<PipelineSpec> ParseSpecYaml(std::string_view text) {
  if (text.size() > kMaxSpecBytes) {
    return Error("document", absl::StrCat("larger than ", kMaxSpecBytes, " bytes"));
  }
  // JSON is YAML, but yaml-cpp trips over some valid JSON (tab indentation):
  // a document that is strict JSON is read as JSON.
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{' &&
      nlohmann::json::accept(text.begin(), text.end())) {
    return SpecFromJson(text);
  }
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
    if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
      return Error("document", "empty");
    }
    if (documents.size() > 1) return Error("document", "holds more than one YAML document");
    return Decode(documents[0]);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's messages describe the syntax problem without quoting input.
    return Error("document", absl::StrCat("invalid YAML at line ", e.mark.line + 1, ", column ",
                                          e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return Error("document", absl::StrCat("cannot be read: ", e.what()));
  }
}

absl::StatusOr<PipelineSpec> SpecFromJson(std::string_view json) {
  if (json.size() > kMaxSpecBytes) {
    return Error("document", absl::StrCat("larger than ", kMaxSpecBytes, " bytes"));
  }
  try {
    // nlohmann keeps the last of duplicated keys; refuse them as the YAML reader does.
    std::vector<std::set<std::string>> open_objects;
    std::optional<std::string> duplicate;
    auto track_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start) open_objects.emplace_back();
      if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
      if (event == Event::key && !open_objects.empty() && !duplicate.has_value() &&
          !open_objects.back().insert(parsed.get<std::string>()).second) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    };
    nlohmann::json value = nlohmann::json::parse(json.begin(), json.end(), track_keys);
    if (duplicate.has_value()) return Error(*duplicate, "key appears twice");
    auto tree = JsonToYaml(value, 0);
    if (!tree.ok()) return tree.status();
    return Decode(*tree);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the input near the error (maybe a password): give the offset only.
    return Error("document", absl::StrCat("invalid JSON at byte ", e.byte));
  } catch (const std::exception& e) {
    return Error("document", "cannot be read as JSON");
  }
}

std::string SpecToJson(const PipelineSpec& spec, bool redact) {
  Json source = Json::object();
  source["dsn"] = redact ? MaskDsnSecrets(spec.source.dsn, kRedacted) : spec.source.dsn;
  source["slot_name"] = spec.source.slot_name;
  source["publication_name"] = spec.source.publication_name;

  Json tables = Json::array();
  for (const TableSpec& t : spec.tables) {
    Json table = Json::object();
    table["source"] = t.source.Display();
    if (!t.target.empty()) table["target"] = t.target;
    if (!t.key_columns.empty()) table["key_columns"] = t.key_columns;
    tables.push_back(std::move(table));
  }

  Json sink = Json::object();
  sink["fe_url"] = spec.sink.fe_url;
  sink["database"] = spec.sink.database;
  sink["user"] = spec.sink.user;
  sink["password"] = RedactSecret(spec.sink.password, redact);
  sink["connect_timeout"] = absl::FormatDuration(spec.sink.connect_timeout);
  sink["request_timeout"] = absl::FormatDuration(spec.sink.request_timeout);
  sink["max_retries"] = spec.sink.max_retries;

  Json batching = Json::object();
  batching["max_rows"] = spec.batching.max_rows;
  batching["max_bytes"] = spec.batching.max_bytes;
  batching["max_latency"] = absl::FormatDuration(spec.batching.max_latency);

  Json root = Json::object();
  root["source"] = std::move(source);
  root["tables"] = std::move(tables);
  root["sink"] = std::move(sink);
  root["batching"] = std::move(batching);
  root["snapshot_mode"] = std::string(SnapshotModeName(spec.snapshot_mode));
  root["ignore_truncate"] = spec.ignore_truncate;
  Json alerts = Json::object();
  alerts["max_lag"] = absl::FormatDuration(spec.alerts.max_lag);
  alerts["max_retained_wal_bytes"] = spec.alerts.max_retained_wal_bytes;
  root["alerts"] = std::move(alerts);
  // Invalid UTF-8 (refused by ValidateSpecStatic) is replaced rather than thrown.
  return root.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace dbmazz::pipeline
