// Pipeline ids, default names, ValidateSpecStatic (each rule) and the
// conversions to sink options.
#include "engine/pipeline/pipeline_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace dbmazz::pipeline {
namespace {

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kId[] = "shop-orders";

PipelineSpec GoodSpec() {
  PipelineSpec spec;
  spec.source.dsn = "host=db port=5432 dbname=shop user=app password=pg-s3cret";
  spec.tables.push_back(TableSpec{{"public", "orders"}, "", {}});
  spec.tables.push_back(TableSpec{{"sales", "items"}, "order_items", {"order_id", "line"}});
  spec.sink.fe_url = "http://fe.example.com:8030";
  spec.sink.database = "shop";
  spec.sink.user = "root";
  spec.sink.password = "sr-s3cret";
  EXPECT_TRUE(ApplyDefaults(kId, &spec).ok());
  return spec;
}

// The error ValidateSpecStatic gives after `change`.
absl::Status After(const std::function<void(PipelineSpec&)>& change) {
  PipelineSpec spec = GoodSpec();
  change(spec);
  return ValidateSpecStatic(kId, spec);
}

TEST(PipelineIdTest, FollowsTheResourceIdRule) {
  for (const char* good : {"a", "orders", "shop-orders-2", "a1-b2", "x--y"}) {
    EXPECT_TRUE(ValidatePipelineId(good).ok()) << good;
  }
  EXPECT_TRUE(ValidatePipelineId(std::string(63, 'a')).ok());
  for (const char* bad :
       {"", "1abc", "-abc", "Orders", "shop_orders", "shop.orders", "a b", "ünï"}) {
    absl::Status s = ValidatePipelineId(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Msg(s), StartsWith("pipeline id: ")) << bad;
  }
  EXPECT_FALSE(ValidatePipelineId(std::string(64, 'a')).ok());
}

TEST(DefaultNamesTest, SlotNamesAreValidAndDistinct) {
  EXPECT_EQ(DefaultSlotName("shop-orders"), "dbmazz_shop_orders");
  EXPECT_EQ(DefaultPublicationName("shop-orders"), "dbmazz_shop_orders");
  std::string long_a = std::string(60, 'a') + "-one";
  std::string long_b = std::string(60, 'a') + "-two";
  std::string a = DefaultSlotName(long_a);
  std::string b = DefaultSlotName(long_b);
  EXPECT_EQ(a.size(), 63u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(postgres::ValidateSlotName(a).ok()) << a;
  EXPECT_TRUE(postgres::ValidateSlotName(b).ok()) << b;
  EXPECT_EQ(DefaultSlotName(long_a), a);  // stable
  EXPECT_TRUE(postgres::ValidateSlotName(DefaultSlotName(std::string(63, 'z'))).ok());
  // Anything else is sanitised to a valid name.
  EXPECT_TRUE(postgres::ValidateSlotName(DefaultSlotName("Weird Name!")).ok());
}

TEST(ApplyDefaultsTest, FillsOnlyWhatIsEmpty) {
  PipelineSpec spec;
  spec.source.slot_name = "mine";
  spec.tables.push_back(TableSpec{{"public", "orders"}, "", {}});
  spec.tables.push_back(TableSpec{{"s", "items"}, "kept", {}});
  ASSERT_TRUE(ApplyDefaults("p1", &spec).ok());
  EXPECT_EQ(spec.source.slot_name, "mine");
  EXPECT_EQ(spec.source.publication_name, "dbmazz_p1");
  EXPECT_EQ(spec.tables[0].target, "orders");
  EXPECT_EQ(spec.tables[1].target, "kept");
  EXPECT_EQ(ApplyDefaults("Bad Id", &spec).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSpecStaticTest, GoodSpecPasses) {
  PipelineSpec spec = GoodSpec();
  EXPECT_TRUE(ValidateSpecStatic(kId, spec).ok()) << ValidateSpecStatic(kId, spec);
  spec.source.dsn = "postgresql://app:pw@db:5432/shop?sslmode=require";
  spec.sink.fe_url = "https://[::1]:8443/starrocks/";
  EXPECT_TRUE(ValidateSpecStatic(kId, spec).ok()) << ValidateSpecStatic(kId, spec);
  EXPECT_THAT(Msg(ValidateSpecStatic("Bad", spec)), StartsWith("pipeline id:"));
}

TEST(ValidateSpecStaticTest, Dsn) {
  EXPECT_THAT(Msg(After([](auto& s) { s.source.dsn = ""; })), StartsWith("source.dsn: required"));
  absl::Status no_db = After([](auto& s) { s.source.dsn = "host=db user=app"; });
  EXPECT_THAT(Msg(no_db), StartsWith("source.dsn: must name the database"));
  EXPECT_THAT(Msg(After([](auto& s) { s.source.dsn = "postgresql://db:5432"; })),
              StartsWith("source.dsn: must name the database"));
  // Parse errors never quote the DSN, whose fragments may be a password.
  for (const char* bad :
       {"host=db dbname=x password=pa xyzzy", "host=db password='unterminated",
        "host=db nonsense=xyzzy", "postgresql://u:pa%zzxyzzy@db/x", "postgresql://[::1"}) {
    absl::Status s = After([&](auto& spec) { spec.source.dsn = bad; });
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Msg(s), StartsWith("source.dsn: not a valid PostgreSQL connection string")) << bad;
    EXPECT_THAT(Msg(s), Not(HasSubstr("xyzzy"))) << s;
    EXPECT_THAT(Msg(s), Not(HasSubstr("unterminated'"))) << s;
  }
}

TEST(ValidateSpecStaticTest, SlotAndPublicationNames) {
  EXPECT_THAT(Msg(After([](auto& s) { s.source.slot_name = ""; })),
              StartsWith("source.slot_name: empty"));
  EXPECT_THAT(Msg(After([](auto& s) { s.source.slot_name = "Has-Dash"; })),
              StartsWith("source.slot_name:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.source.slot_name = std::string(64, 'a'); })),
              StartsWith("source.slot_name:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.source.publication_name = ""; })),
              StartsWith("source.publication_name: empty"));
  EXPECT_THAT(Msg(After([](auto& s) { s.source.publication_name = std::string(64, 'p'); })),
              StartsWith("source.publication_name:"));
  // Publications may use any identifier.
  EXPECT_TRUE(After([](auto& s) { s.source.publication_name = "My Publication"; }).ok());
}

TEST(ValidateSpecStaticTest, Tables) {
  EXPECT_THAT(Msg(After([](auto& s) { s.tables.clear(); })),
              StartsWith("tables: at least one table"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables.push_back(s.tables[0]); })),
              StartsWith("tables[2].source: table public.orders is listed twice"));
  absl::Status same_target = After([](auto& s) {
    s.tables.push_back(TableSpec{{"other", "orders"}, "orders", {}});
  });
  EXPECT_THAT(Msg(same_target), StartsWith("tables[2].target: StarRocks table \"orders\""));
  // Same name in another schema is fine when mapped elsewhere.
  EXPECT_TRUE(After([](auto& s) {
                s.tables.push_back(TableSpec{{"other", "orders"}, "other_orders", {}});
              }).ok());
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[0].target = ""; })),
              StartsWith("tables[0].target: empty"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[0].target = "bad\nname"; })),
              StartsWith("tables[0].target: contains a control character"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[0].target = std::string(1025, 't'); })),
              StartsWith("tables[0].target: longer than"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[0].source.name = ""; })),
              StartsWith("tables[0].source: required"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[0].source.name = std::string(64, 'n'); })),
              StartsWith("tables[0].source:"));
  EXPECT_THAT(Msg(After([](auto& s) {
                s.tables[1].key_columns = {"a", ""};
              })),
              StartsWith("tables[1].key_columns[1]: must not be empty"));
  EXPECT_THAT(Msg(After([](auto& s) {
                s.tables[1].key_columns = {"a", "a"};
              })),
              StartsWith("tables[1].key_columns[1]: column \"a\" is listed twice"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[1].key_columns = {std::string(64, 'k')}; })),
              StartsWith("tables[1].key_columns[0]:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.tables[1].target = "bad\xff"; })),
              StartsWith("tables[1].target: is not valid UTF-8"));
}

TEST(ValidateSpecStaticTest, FeUrl) {
  auto url_error = [](std::string url) { return After([&](auto& s) { s.sink.fe_url = url; }); };
  EXPECT_THAT(Msg(url_error("")), StartsWith("sink.fe_url: required"));
  EXPECT_EQ(url_error("fe:8030").message(), "sink.fe_url: must start with http:// or https://");
  EXPECT_THAT(Msg(url_error("ftp://fe")), StartsWith("sink.fe_url: must start with"));
  EXPECT_THAT(Msg(url_error("http://")), StartsWith("sink.fe_url: has no host"));
  EXPECT_THAT(Msg(url_error("http://:8030")), StartsWith("sink.fe_url: has no host"));
  EXPECT_THAT(Msg(url_error("http://root:pw@fe:8030")),
              StartsWith("sink.fe_url: must not carry credentials"));
  EXPECT_THAT(Msg(url_error("http://root:pw@fe:8030")), Not(HasSubstr("pw")));
  EXPECT_THAT(Msg(url_error("http://fe:0")), StartsWith("sink.fe_url: port must be"));
  EXPECT_THAT(Msg(url_error("http://fe:65536")), StartsWith("sink.fe_url: port must be"));
  EXPECT_THAT(Msg(url_error("http://fe:80a")), StartsWith("sink.fe_url: port must be"));
  EXPECT_THAT(Msg(url_error("http://fe:")), StartsWith("sink.fe_url: empty port"));
  EXPECT_THAT(Msg(url_error("http://fe:8030?x=1")), StartsWith("sink.fe_url: must be"));
  EXPECT_THAT(Msg(url_error("http://fe:8030/#top")), StartsWith("sink.fe_url: must be"));
  EXPECT_THAT(Msg(url_error("http://f e")), StartsWith("sink.fe_url: must be"));
  EXPECT_THAT(Msg(url_error("http://fe$:1")), StartsWith("sink.fe_url: invalid character"));
  EXPECT_THAT(Msg(url_error("http://[::1")), StartsWith("sink.fe_url: unterminated"));
  EXPECT_TRUE(url_error("HTTP://FE.example.com").ok());
  EXPECT_TRUE(url_error("http://10.0.0.1:65535/").ok());
}

TEST(ValidateSpecStaticTest, SinkFieldsAndRanges) {
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.database = ""; })),
              StartsWith("sink.database: required"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.user = ""; })), StartsWith("sink.user: required"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.user = "a:b"; })),
              StartsWith("sink.user: must not contain ':'"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.connect_timeout = absl::Milliseconds(50); })),
              StartsWith("sink.connect_timeout: must be between 100ms and 5m"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.request_timeout = absl::Hours(2); })),
              StartsWith("sink.request_timeout: must be between"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.max_retries = -1; })),
              StartsWith("sink.max_retries: must be between 0 and 100"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.max_retries = 101; })),
              StartsWith("sink.max_retries:"));
  EXPECT_TRUE(After([](auto& s) { s.sink.max_retries = 0; }).ok());
  EXPECT_TRUE(After([](auto& s) { s.sink.password = ""; }).ok());
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.password = "bad\xc3"; })),
              StartsWith("sink.password: is not valid UTF-8"));
  EXPECT_THAT(Msg(After([](auto& s) { s.sink.password = "bad\xc3"; })), Not(HasSubstr("bad")));
}

TEST(ValidateSpecStaticTest, BatchingAndAlertRanges) {
  EXPECT_THAT(Msg(After([](auto& s) { s.batching.max_rows = 0; })),
              StartsWith("batching.max_rows: must be between 1 and"));
  EXPECT_TRUE(After([](auto& s) { s.batching.max_rows = 1; }).ok());
  EXPECT_THAT(Msg(After([](auto& s) { s.batching.max_bytes = 100; })),
              StartsWith("batching.max_bytes:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.batching.max_bytes = (1ull << 30) + 1; })),
              StartsWith("batching.max_bytes:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.batching.max_latency = absl::Milliseconds(9); })),
              StartsWith("batching.max_latency: must be between 10ms and 1h"));
  EXPECT_THAT(
      Msg(After([](auto& s) { s.batching.max_latency = absl::Hours(1) + absl::Seconds(1); })),
      StartsWith("batching.max_latency:"));
  EXPECT_TRUE(After([](auto& s) { s.batching.max_latency = absl::Milliseconds(10); }).ok());
  EXPECT_TRUE(After([](auto& s) { s.batching.max_latency = absl::Hours(1); }).ok());
  EXPECT_THAT(Msg(After([](auto& s) { s.alerts.max_lag = absl::Milliseconds(500); })),
              StartsWith("alerts.max_lag: must be 0 (off) or between 1s and 720h (got 500ms)"));
  EXPECT_THAT(Msg(After([](auto& s) { s.alerts.max_lag = absl::Hours(24 * 31); })),
              StartsWith("alerts.max_lag:"));
  EXPECT_THAT(Msg(After([](auto& s) { s.alerts.max_retained_wal_bytes = 1000; })),
              StartsWith("alerts.max_retained_wal_bytes: must be at least 1MiB"));
  EXPECT_THAT(Msg(After([](auto& s) { s.alerts.max_retained_wal_bytes = (1 << 20) - 1; })),
              StartsWith("alerts.max_retained_wal_bytes:"));
  // 0 disables a threshold.
  EXPECT_TRUE(After([](auto& s) {
                s.alerts.max_lag = absl::ZeroDuration();
                s.alerts.max_retained_wal_bytes = 0;
              }).ok());
  EXPECT_TRUE(After([](auto& s) {
                s.alerts.max_lag = absl::Seconds(1);
                s.alerts.max_retained_wal_bytes = 1 << 20;
              }).ok());
  EXPECT_TRUE(After([](auto& s) {
                s.alerts.max_lag = absl::Minutes(5);
                s.alerts.max_retained_wal_bytes = 1ull << 30;
              }).ok());
}

TEST(ValidateSpecStaticTest, ErrorsNeverContainPasswords) {
  std::vector<std::function<void(PipelineSpec&)>> breakages = {
      [](auto& s) { s.sink.fe_url = "http://root:sr-s3cret@fe"; },
      [](auto& s) { s.source.dsn = "host=db password=pg-s3cret"; },
      [](auto& s) { s.source.dsn = "host=db dbname=x password=pg s3cret"; },
      [](auto& s) { s.sink.user = ""; },
  };
  for (const auto& breakage : breakages) {
    absl::Status s = After(breakage);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(Msg(s), Not(HasSubstr("s3cret"))) << s;
  }
}

TEST(ConversionTest, SinkOptions) {
  PipelineSpec spec = GoodSpec();
  spec.batching.max_rows = 7;
  spec.batching.max_bytes = 4096;
  spec.batching.max_latency = absl::Milliseconds(20);
  spec.ignore_truncate = true;
  spec.tables.push_back(TableSpec{{"My Schema", "Odd.Name"}, "odd", {}});
  sink::SinkOptions options = ToSinkOptions(spec);
  EXPECT_EQ(options.limits.max_rows, 7u);
  EXPECT_EQ(options.limits.max_bytes, 4096u);
  EXPECT_EQ(options.limits.max_latency, absl::Milliseconds(20));
  EXPECT_TRUE(options.ignore_truncate);
  // Keys are raw "schema.name", as the sink builds them from Relation messages.
  EXPECT_EQ(options.table_map.at("public.orders"), "orders");
  EXPECT_EQ(options.table_map.at("sales.items"), "order_items");
  EXPECT_EQ(options.table_map.at("My Schema.Odd.Name"), "odd");
  EXPECT_EQ(options.key_columns.size(), 1u);
  EXPECT_THAT(options.key_columns.at("sales.items"), ::testing::ElementsAre("order_id", "line"));
}

TEST(ConversionTest, StreamLoadOptions) {
  PipelineSpec spec = GoodSpec();
  spec.sink.connect_timeout = absl::Milliseconds(1500);
  spec.sink.request_timeout = absl::Seconds(30);
  spec.sink.max_retries = 2;
  sink::StreamLoadOptions options = ToStreamLoadOptions(spec);
  EXPECT_EQ(options.fe_url, "http://fe.example.com:8030");
  EXPECT_EQ(options.database, "shop");
  EXPECT_EQ(options.user, "root");
  EXPECT_EQ(options.password, "sr-s3cret");
  EXPECT_EQ(options.connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(options.request_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(options.max_retries, 2);
  // The defaults agree with the client's own.
  PipelineSpec defaults;
  sink::StreamLoadOptions client_defaults;
  EXPECT_EQ(ToStreamLoadOptions(defaults).connect_timeout, client_defaults.connect_timeout);
  EXPECT_EQ(ToStreamLoadOptions(defaults).request_timeout, client_defaults.request_timeout);
  EXPECT_EQ(ToStreamLoadOptions(defaults).max_retries, client_defaults.max_retries);
  // A validated spec is accepted by the client.
  EXPECT_TRUE(sink::StreamLoadClient::Create(ToStreamLoadOptions(GoodSpec())).ok());
}

}  // namespace
}  // namespace dbmazz::pipeline
