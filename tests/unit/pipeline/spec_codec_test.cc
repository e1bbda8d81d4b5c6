// ParseSpecYaml, SpecToJson and SpecFromJson: the document schema, strictness
// (unknown keys, missing fields, wrong types), redaction and round trips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/pipeline/pipeline_spec.h"

namespace dbmazz::pipeline {
namespace {

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kMinimal[] = R"(
source:
  dsn: "host=db dbname=shop user=app password=pg-s3cret"
tables:
  - orders
sink:
  fe_url: http://fe:8030
  database: shop
  user: root
)";

constexpr char kFull[] = R"(
source:
  dsn: postgresql://app:pg-s3cret@db:5432/shop
  slot_name: my_slot
  publication_name: my_pub
tables:
  - sales.orders
  - source: '"Order Items"'
    target: order_items_sr
    key_columns: [order_id, line]
sink:
  fe_url: https://fe.example.com:8443
  database: analytics
  user: loader
  password: "sr:pa ss#word"
  connect_timeout: 2s
  request_timeout: 1m30s
  max_retries: 3
batching:
  max_rows: 5000
  max_bytes: 4MiB
  max_latency: 250ms
snapshot_mode: never
ignore_truncate: true
alerts:
  max_lag: 5m
  max_retained_wal_bytes: 2GB
)";

absl::Status ParseError(std::string_view text) { return ParseSpecYaml(text).status(); }

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ParseSpecYamlTest, MinimalSpecGetsDefaults) {
  auto spec = ParseSpecYaml(kMinimal);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source.dsn, "host=db dbname=shop user=app password=pg-s3cret");
  EXPECT_EQ(spec->source.slot_name, "");
  ASSERT_EQ(spec->tables.size(), 1u);
  EXPECT_EQ(spec->tables[0].source, (postgres::TableName{"public", "orders"}));
  EXPECT_EQ(spec->tables[0].target, "");
  EXPECT_TRUE(spec->tables[0].key_columns.empty());
  EXPECT_EQ(spec->sink.fe_url, "http://fe:8030");
  EXPECT_EQ(spec->sink.password, "");
  EXPECT_EQ(spec->sink.connect_timeout, absl::Seconds(5));
  EXPECT_EQ(spec->sink.request_timeout, absl::Seconds(60));
  EXPECT_EQ(spec->sink.max_retries, 8);
  sink::BatchLimits defaults;
  EXPECT_EQ(spec->batching.max_rows, defaults.max_rows);
  EXPECT_EQ(spec->batching.max_bytes, defaults.max_bytes);
  EXPECT_EQ(spec->batching.max_latency, defaults.max_latency);
  EXPECT_EQ(spec->snapshot_mode, SnapshotMode::kInitial);
  EXPECT_FALSE(spec->ignore_truncate);
  EXPECT_EQ(spec->alerts.max_lag, absl::Seconds(300));
  EXPECT_EQ(spec->alerts.max_retained_wal_bytes, 1ull << 30);

  ASSERT_TRUE(ApplyDefaults("shop-orders", &*spec).ok());
  EXPECT_EQ(spec->source.slot_name, "dbmazz_shop_orders");
  EXPECT_EQ(spec->source.publication_name, "dbmazz_shop_orders");
  EXPECT_EQ(spec->tables[0].target, "orders");
  EXPECT_TRUE(ValidateSpecStatic("shop-orders", *spec).ok())
      << ValidateSpecStatic("shop-orders", *spec);
}

TEST(ParseSpecYamlTest, EveryFieldIsRead) {
  auto spec = ParseSpecYaml(kFull);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->source.slot_name, "my_slot");
  EXPECT_EQ(spec->source.publication_name, "my_pub");
  ASSERT_EQ(spec->tables.size(), 2u);
  EXPECT_EQ(spec->tables[0].source, (postgres::TableName{"sales", "orders"}));
  EXPECT_EQ(spec->tables[1].source, (postgres::TableName{"public", "Order Items"}));
  EXPECT_EQ(spec->tables[1].target, "order_items_sr");
  EXPECT_THAT(spec->tables[1].key_columns, ::testing::ElementsAre("order_id", "line"));
  EXPECT_EQ(spec->sink.password, "sr:pa ss#word");
  EXPECT_EQ(spec->sink.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(spec->sink.request_timeout, absl::Seconds(90));
  EXPECT_EQ(spec->sink.max_retries, 3);
  EXPECT_EQ(spec->batching.max_rows, 5000u);
  EXPECT_EQ(spec->batching.max_bytes, 4u << 20);
  EXPECT_EQ(spec->batching.max_latency, absl::Milliseconds(250));
  EXPECT_EQ(spec->snapshot_mode, SnapshotMode::kNever);
  EXPECT_TRUE(spec->ignore_truncate);
  EXPECT_EQ(spec->alerts.max_lag, absl::Minutes(5));
  EXPECT_EQ(spec->alerts.max_retained_wal_bytes, 2'000'000'000u);
}

TEST(ParseSpecYamlTest, AcceptsJson) {
  auto spec = ParseSpecYaml(R"({"source": {"dsn": "dbname=shop"}, "tables": ["a.b", {"source": "c",
      "target": "d"}], "sink": {"fe_url": "http://fe", "database": "x", "user": "u",
      "max_retries": 0}, "batching": {"max_bytes": 2048}, "ignore_truncate": true})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->tables[0].source, (postgres::TableName{"a", "b"}));
  EXPECT_EQ(spec->tables[1].target, "d");
  EXPECT_EQ(spec->sink.max_retries, 0);
  EXPECT_EQ(spec->batching.max_bytes, 2048u);
  EXPECT_TRUE(spec->ignore_truncate);
}

TEST(ParseSpecYamlTest, AcceptsTabIndentedJsonAndYamlFlowMaps) {
  auto tabs = ParseSpecYaml(
      "{\n\t\"source\": {\n\t\t\"dsn\": \"dbname=shop\"\n\t},\n\t\"tables\": [\"t\"],\n"
      "\t\"sink\": {\"fe_url\": \"http://fe\", \"database\": \"d\", \"user\": \"u\"}\n}\n");
  ASSERT_TRUE(tabs.ok()) << tabs.status();
  EXPECT_EQ(tabs->source.dsn, "dbname=shop");
  // Not JSON (unquoted keys) but valid YAML.
  auto flow = ParseSpecYaml(
      "{source: {dsn: dbname=shop}, tables: [t], sink: {fe_url: 'http://fe', "
      "database: d, user: u}}");
  ASSERT_TRUE(flow.ok()) << flow.status();
  EXPECT_EQ(flow->tables[0].source.name, "t");
}

TEST(ParseSpecYamlTest, UnknownKeysAreErrorsNamingThePath) {
  absl::Status top = ParseError(std::string(kMinimal) + "ignore_truncates: true\n");
  EXPECT_EQ(top.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(top), StartsWith("ignore_truncates: unknown key"));
  EXPECT_THAT(Msg(top), HasSubstr("ignore_truncate"));  // lists what is allowed

  absl::Status nested = ParseError(Replace(kMinimal, "  database: shop", "  databse: shop"));
  EXPECT_THAT(Msg(nested), StartsWith("sink.databse: unknown key")) << nested;

  absl::Status table =
      ParseError(Replace(kFull, "    target: order_items_sr", "    targte: order_items_sr"));
  EXPECT_THAT(Msg(table), StartsWith("tables[1].targte: unknown key")) << table;

  absl::Status batching = ParseError(Replace(kFull, "  max_rows: 5000", "  maxrows: 5000"));
  EXPECT_THAT(Msg(batching), StartsWith("batching.maxrows: unknown key")) << batching;
}

TEST(ParseSpecYamlTest, DuplicateKeysAreErrors) {
  absl::Status s = ParseError(Replace(kMinimal, "  user: root", "  user: root\n  user: admin"));
  EXPECT_THAT(Msg(s), StartsWith("sink.user: key appears twice")) << s;
}

TEST(ParseSpecYamlTest, DuplicateKeysInJsonAreErrors) {
  constexpr char kJson[] = R"({"source": {"dsn": "dbname=x"}, "tables": ["t"], "sink":
      {"fe_url": "http://f", "database": "d", "user": "u", "database": "e"}})";
  EXPECT_THAT(Msg(ParseError(kJson)), StartsWith("database: key appears twice"));
  EXPECT_THAT(Msg(SpecFromJson(kJson).status()), StartsWith("database: key appears twice"));
  // The same key in different objects is fine.
  EXPECT_TRUE(SpecFromJson(R"({"source": {"dsn": "dbname=x"}, "tables": [{"source": "t",
      "target": "a"}, {"source": "u", "target": "b"}], "sink": {"fe_url": "http://f",
      "database": "d", "user": "u"}})")
                  .ok());
}

TEST(ParseSpecYamlTest, MissingRequiredFields) {
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "  fe_url: http://fe:8030\n", ""))),
              StartsWith("sink.fe_url: required"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "  database: shop\n", ""))),
              StartsWith("sink.database: required"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "  user: root\n", ""))),
              StartsWith("sink.user: required"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal,
                                     "  dsn: \"host=db dbname=shop user=app password=pg-s3cret\"\n",
                                     "  slot_name: s\n"))),
              StartsWith("source.dsn: required"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "tables:\n  - orders\n", ""))),
              StartsWith("tables: required"));
  EXPECT_THAT(Msg(ParseError("sink: {}\ntables: [a]\n")), StartsWith("source: required"));
  EXPECT_THAT(
      Msg(ParseError(Replace(kFull, "  - source: '\"Order Items\"'\n    target", "  - target"))),
      StartsWith("tables[1].source: required"));
}

TEST(ParseSpecYamlTest, WrongTypesAndValues) {
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_rows: 5000", "max_rows: many"))),
              StartsWith("batching.max_rows: \"many\" is not a non-negative integer"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_rows: 5000", "max_rows: -1"))),
              StartsWith("batching.max_rows:"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_latency: 250ms", "max_latency: 250"))),
              StartsWith("batching.max_latency: \"250\" needs a unit"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_latency: 250ms", "max_latency: soon"))),
              StartsWith("batching.max_latency: \"soon\" is not a duration"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_bytes: 4MiB", "max_bytes: 4 parsecs"))),
              StartsWith("batching.max_bytes:"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "ignore_truncate: true", "ignore_truncate: yes"))),
              StartsWith("ignore_truncate: \"yes\" is not true or false"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "snapshot_mode: never", "snapshot_mode: sometimes"))),
              StartsWith("snapshot_mode: \"sometimes\" is not one of"));
  EXPECT_THAT(
      Msg(ParseError(Replace(kFull, "key_columns: [order_id, line]", "key_columns: order_id"))),
      StartsWith("tables[1].key_columns: must be a list"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "key_columns: [order_id, line]",
                                     "key_columns: [order_id, [line]]"))),
              StartsWith("tables[1].key_columns[1]: must be a single value"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "  - orders", "  - a.b.c"))),
              StartsWith("tables[0]: table name"));
  EXPECT_THAT(Msg(ParseError(Replace(kMinimal, "  user: root", "  user: [root]"))),
              StartsWith("sink.user: must be a single value"));
  EXPECT_THAT(Msg(ParseError("tables: x\nsource: {dsn: a}\nsink: {}\n")),
              StartsWith("tables: must be a list"));
  EXPECT_THAT(Msg(ParseError("- just\n- a list\n")), StartsWith("document: must be a map"));
}

TEST(ParseSpecYamlTest, AlertsParseWithUnitsZeroAndFieldPaths) {
  auto off = ParseSpecYaml(Replace(kFull, "  max_lag: 5m\n  max_retained_wal_bytes: 2GB",
                                   "  max_lag: 0\n  max_retained_wal_bytes: 0"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->alerts.max_lag, absl::ZeroDuration());
  EXPECT_EQ(off->alerts.max_retained_wal_bytes, 0u);
  auto partial = ParseSpecYaml(std::string(kMinimal) + "alerts: {max_retained_wal_bytes: 1MiB}\n");
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->alerts.max_retained_wal_bytes, 1u << 20);
  EXPECT_EQ(partial->alerts.max_lag, kDefaultMaxLag);  // the other keeps its default
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_lag: 5m", "max_lag: 300"))),
              StartsWith("alerts.max_lag: \"300\" needs a unit"));
  EXPECT_THAT(Msg(ParseError(
                  Replace(kFull, "max_retained_wal_bytes: 2GB", "max_retained_wal_bytes: lots"))),
              StartsWith("alerts.max_retained_wal_bytes: \"lots\" is not a byte size"));
  EXPECT_THAT(Msg(ParseError(Replace(kFull, "max_lag: 5m", "max_lagg: 5m"))),
              StartsWith("alerts.max_lagg: unknown key"));
  EXPECT_THAT(Msg(ParseError(std::string(kMinimal) + "alerts: 5\n")),
              StartsWith("alerts: must be a map"));
  // Written out in full, and read back.
  auto back = SpecFromJson(SpecToJson(*off, false));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->alerts, off->alerts);
  EXPECT_THAT(SpecToJson(*partial, true), HasSubstr("\"max_lag\": \"5m\""));
}

TEST(ParseSpecYamlTest, SyntaxErrorsAndEmptyDocuments) {
  absl::Status bad = ParseError("source: {dsn: \"unterminated\n");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(bad), StartsWith("document: invalid YAML at line"));
  EXPECT_THAT(Msg(ParseError("")), StartsWith("document: empty"));
  EXPECT_THAT(Msg(ParseError("# only a comment\n")), StartsWith("document: empty"));
  EXPECT_THAT(Msg(ParseError(std::string(kMinimal) + "---\n" + kMinimal)),
              StartsWith("document: holds more than one"));
  EXPECT_THAT(Msg(ParseError(std::string(kMaxSpecBytes + 1, ' '))),
              StartsWith("document: larger than"));
}

TEST(ParseSpecYamlTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "source: " + std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(ParseError(deep).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseSpecYamlTest, ErrorsNeverQuoteThePassword) {
  // A list where a string is expected: the message must not echo the value.
  absl::Status s = ParseError(
      Replace(kFull, "  password: \"sr:pa ss#word\"", "  password: [\"sr:pa ss#word\"]"));
  EXPECT_THAT(Msg(s), StartsWith("sink.password:"));
  EXPECT_THAT(Msg(s), Not(HasSubstr("pa ss")));
}

TEST(SpecToJsonTest, RedactionNeverLeaksPasswords) {
  auto spec = ParseSpecYaml(kFull);
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::string shown = SpecToJson(*spec, /*redact=*/true);
  EXPECT_THAT(shown, Not(HasSubstr("pg-s3cret")));
  EXPECT_THAT(shown, Not(HasSubstr("pa ss#word")));
  EXPECT_THAT(shown, Not(HasSubstr("sr:pa")));
  EXPECT_THAT(shown, HasSubstr("\"password\": \"******\""));
  EXPECT_THAT(shown, HasSubstr("password='******'"));  // in the DSN
  EXPECT_THAT(shown, HasSubstr("host='db'"));

  std::string stored = SpecToJson(*spec, /*redact=*/false);
  EXPECT_THAT(stored, HasSubstr("pg-s3cret"));
  EXPECT_THAT(stored, HasSubstr("sr:pa ss#word"));

  spec->source.dsn = "host='unterminated password=pg-s3cret";
  EXPECT_THAT(SpecToJson(*spec, true), Not(HasSubstr("pg-s3cret")));
  EXPECT_THAT(SpecToJson(*spec, true), HasSubstr("<unparseable DSN>"));
  spec->sink.password.clear();
  EXPECT_THAT(SpecToJson(*spec, true), HasSubstr("\"password\": \"\""));
}

void ExpectSameSpec(const PipelineSpec& a, const PipelineSpec& b) {
  EXPECT_EQ(a.source.dsn, b.source.dsn);
  EXPECT_EQ(a.source.slot_name, b.source.slot_name);
  EXPECT_EQ(a.source.publication_name, b.source.publication_name);
  ASSERT_EQ(a.tables.size(), b.tables.size());
  for (size_t i = 0; i < a.tables.size(); ++i) {
    EXPECT_EQ(a.tables[i].source, b.tables[i].source);
    EXPECT_EQ(a.tables[i].target, b.tables[i].target);
    EXPECT_EQ(a.tables[i].key_columns, b.tables[i].key_columns);
  }
  EXPECT_EQ(a.sink.fe_url, b.sink.fe_url);
  EXPECT_EQ(a.sink.database, b.sink.database);
  EXPECT_EQ(a.sink.user, b.sink.user);
  EXPECT_EQ(a.sink.password, b.sink.password);
  EXPECT_EQ(a.sink.connect_timeout, b.sink.connect_timeout);
  EXPECT_EQ(a.sink.request_timeout, b.sink.request_timeout);
  EXPECT_EQ(a.sink.max_retries, b.sink.max_retries);
  EXPECT_EQ(a.batching.max_rows, b.batching.max_rows);
  EXPECT_EQ(a.batching.max_bytes, b.batching.max_bytes);
  EXPECT_EQ(a.batching.max_latency, b.batching.max_latency);
  EXPECT_EQ(a.snapshot_mode, b.snapshot_mode);
  EXPECT_EQ(a.ignore_truncate, b.ignore_truncate);
  EXPECT_EQ(a.alerts, b.alerts);
}

TEST(SpecFromJsonTest, RoundTripsEveryField) {
  for (const char* text : {kMinimal, kFull}) {
    auto spec = ParseSpecYaml(text);
    ASSERT_TRUE(spec.ok()) << spec.status();
    ASSERT_TRUE(ApplyDefaults("round-trip", &*spec).ok());
    std::string json = SpecToJson(*spec, /*redact=*/false);
    auto back = SpecFromJson(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    ExpectSameSpec(*spec, *back);
    // The stored form is also a valid input document.
    auto reparsed = ParseSpecYaml(json);
    ASSERT_TRUE(reparsed.ok()) << reparsed.status();
    ExpectSameSpec(*spec, *reparsed);
    EXPECT_EQ(SpecToJson(*back, false), json);
  }
}

TEST(SpecFromJsonTest, OddValuesSurvive) {
  auto spec = ParseSpecYaml(kMinimal);
  ASSERT_TRUE(spec.ok());
  spec->sink.password = "null";  // a string that YAML would read as null
  spec->sink.user = "123";
  spec->tables[0].source = {"My \"Odd\" Schema", "Täble"};
  spec->batching.max_latency = absl::Microseconds(1500);
  spec->alerts.max_lag = absl::Hours(25);
  auto back = SpecFromJson(SpecToJson(*spec, false));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameSpec(*spec, *back);
}

TEST(SpecFromJsonTest, RejectsInvalidJsonWithoutQuotingIt) {
  absl::Status s = SpecFromJson(R"({"sink": {"password": "hunter2" oops}})").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), StartsWith("document: invalid JSON at byte"));
  EXPECT_THAT(Msg(s), Not(HasSubstr("hunter2")));
  // YAML is not JSON.
  EXPECT_FALSE(SpecFromJson(kMinimal).ok());
  // Same strictness as the YAML reader.
  EXPECT_THAT(Msg(SpecFromJson(R"({"source": {"dsn": "dbname=x"}, "tables": ["t"], "sink":
      {"fe_url": "http://f", "database": "d", "user": "u", "passwd": "x"}})")
                      .status()),
              StartsWith("sink.passwd: unknown key"));
  std::string deep = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_THAT(Msg(SpecFromJson(deep).status()), StartsWith("document:"));
  std::string deeper = "{\"source\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_THAT(Msg(SpecFromJson(deeper).status()), StartsWith("document:"));
  EXPECT_THAT(Msg(ParseError(deeper)), StartsWith("document:"));
}

TEST(ExampleSpecTest, DeployExampleParsesAndValidates) {
  std::ifstream in(std::string(DBMAZZ_SOURCE_DIR) + "/deploy/examples/pipeline.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto spec = ParseSpecYaml(text.str());
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(ApplyDefaults("shop-orders", &*spec).ok());
  EXPECT_TRUE(ValidateSpecStatic("shop-orders", *spec).ok())
      << ValidateSpecStatic("shop-orders", *spec);
  ASSERT_EQ(spec->tables.size(), 2u);
  EXPECT_EQ(spec->tables[0].target, "orders");
  EXPECT_EQ(spec->tables[1].target, "order_lines");
  EXPECT_EQ(spec->batching.max_bytes, 16u << 20);
  EXPECT_EQ(spec->alerts.max_retained_wal_bytes, 10ull << 30);
  EXPECT_THAT(SpecToJson(*spec, true), Not(HasSubstr("CHANGE_ME")));
}

}  // namespace
}  // namespace dbmazz::pipeline
