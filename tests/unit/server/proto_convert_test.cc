#include "server/proto_convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dbmazz::server {
namespace {

namespace v1 = ::dbmazz::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

v1::PipelineSpec ValidProto() {
  v1::PipelineSpec proto;
  proto.mutable_source()->set_dsn("host=localhost dbname=shop user=u password=pw");
  proto.add_tables("orders");
  proto.add_tables("sales.items");
  v1::TableMapping* mapping = proto.add_table_mappings();
  mapping->set_source("\"Odd Name\"");
  mapping->set_target("odd");
  mapping->add_key_columns("id");
  proto.mutable_sink()->set_fe_url("http://fe:8030");
  proto.mutable_sink()->set_database("shop");
  proto.mutable_sink()->set_user("root");
  proto.mutable_sink()->set_password("sink-secret");
  return proto;
}

TEST(ProtoConvertTest, SpecFromProtoMapsTablesAndDefaults) {
  auto spec = SpecFromProto(ValidProto());
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->tables.size(), 3u);
  EXPECT_EQ(spec->tables[0].source, (postgres::TableName{"public", "orders"}));
  EXPECT_EQ(spec->tables[1].source, (postgres::TableName{"sales", "items"}));
  EXPECT_EQ(spec->tables[2].source, (postgres::TableName{"public", "Odd Name"}));
  EXPECT_EQ(spec->tables[2].target, "odd");
  EXPECT_EQ(spec->tables[2].key_columns, std::vector<std::string>{"id"});
  EXPECT_EQ(spec->sink.password, "sink-secret");
  pipeline::PipelineSpec defaults;
  EXPECT_EQ(spec->sink.connect_timeout, defaults.sink.connect_timeout);
  EXPECT_EQ(spec->sink.max_retries, defaults.sink.max_retries);
  EXPECT_EQ(spec->batching.max_rows, defaults.batching.max_rows);
  EXPECT_EQ(spec->batching.max_latency, defaults.batching.max_latency);
  EXPECT_FALSE(spec->ignore_truncate);
  EXPECT_TRUE(pipeline::ApplyDefaults("shop", &*spec).ok());
  EXPECT_TRUE(pipeline::ValidateSpecStatic("shop", *spec).ok());
}

TEST(ProtoConvertTest, SpecFromProtoReadsOptionalFields) {
  v1::PipelineSpec proto = ValidProto();
  proto.mutable_sink()->mutable_connect_timeout()->set_seconds(2);
  proto.mutable_sink()->mutable_request_timeout()->set_seconds(30);
  proto.mutable_sink()->set_max_retries(0);
  proto.mutable_batching()->set_max_rows(10);
  proto.mutable_batching()->set_max_bytes(4096);
  proto.mutable_batching()->mutable_max_latency()->set_nanos(250000000);
  proto.set_ignore_truncate(true);
  auto spec = SpecFromProto(proto);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->sink.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(spec->sink.request_timeout, absl::Seconds(30));
  EXPECT_EQ(spec->sink.max_retries, 0);
  EXPECT_EQ(spec->batching.max_rows, 10u);
  EXPECT_EQ(spec->batching.max_bytes, 4096u);
  EXPECT_EQ(spec->batching.max_latency, absl::Milliseconds(250));
  EXPECT_TRUE(spec->ignore_truncate);
}

TEST(ProtoConvertTest, AlertsDefaultsZeroAndValues) {
  auto defaults = SpecFromProto(ValidProto());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->alerts.max_lag, pipeline::kDefaultMaxLag);
  EXPECT_EQ(defaults->alerts.max_retained_wal_bytes, pipeline::kDefaultMaxRetainedWalBytes);

  v1::PipelineSpec proto = ValidProto();
  proto.mutable_alerts()->mutable_max_lag()->set_seconds(0);  // set: 0 disables
  proto.mutable_alerts()->set_max_retained_wal_bytes(0);
  auto off = SpecFromProto(proto);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->alerts.max_lag, absl::ZeroDuration());
  EXPECT_EQ(off->alerts.max_retained_wal_bytes, 0u);

  proto.mutable_alerts()->mutable_max_lag()->set_seconds(90);
  proto.mutable_alerts()->set_max_retained_wal_bytes(5u << 20);
  auto set = SpecFromProto(proto);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->alerts.max_lag, absl::Seconds(90));
  EXPECT_EQ(set->alerts.max_retained_wal_bytes, 5u << 20);
  // Round trip.
  v1::PipelineSpec out;
  SpecToProto(*set, &out);
  EXPECT_EQ(out.alerts().max_lag().seconds(), 90);
  EXPECT_EQ(out.alerts().max_retained_wal_bytes(), 5u << 20);
  auto back = SpecFromProto(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->alerts, set->alerts);
}

TEST(ProtoConvertTest, BadTableNamesTheProtoField) {
  v1::PipelineSpec proto = ValidProto();
  proto.add_tables("a.b.c");
  auto spec = SpecFromProto(proto);
  ASSERT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(spec.status().message()), StartsWith("spec.tables[2]: "));

  proto = ValidProto();
  proto.mutable_table_mappings(0)->set_source("");
  spec = SpecFromProto(proto);
  ASSERT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(spec.status().message()), StartsWith("spec.table_mappings[0].source: "));
}

TEST(ProtoConvertTest, NegativeDurationNamesTheProtoField) {
  v1::PipelineSpec proto = ValidProto();
  proto.mutable_batching()->mutable_max_latency()->set_seconds(-1);
  auto spec = SpecFromProto(proto);
  ASSERT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(spec.status().message()), StartsWith("spec.batching.max_latency: "));
  google::protobuf::Duration bad;
  bad.set_nanos(1000000000);
  EXPECT_THAT(std::string(DurationFromProto(bad, "interval").status().message()),
              StartsWith("interval: "));
}

// The engine's own validation, its paths mapped back to the proto's.
absl::Status EngineError(const v1::PipelineSpec& proto) {
  auto spec = SpecFromProto(proto);
  if (!spec.ok()) return spec.status();
  absl::Status status = pipeline::ApplyDefaults("shop", &*spec);
  if (status.ok()) status = pipeline::ValidateSpecStatic("shop", *spec);
  return MapSpecError(status, proto);
}

TEST(ProtoConvertTest, EngineErrorsGetProtoPaths) {
  v1::PipelineSpec proto = ValidProto();
  proto.mutable_table_mappings(0)->set_key_columns(0, "");
  absl::Status status = EngineError(proto);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.table_mappings[0].key_columns[0]: "));

  proto = ValidProto();
  proto.add_tables("orders");  // a duplicate of tables[0]
  status = EngineError(proto);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.tables[2]"));

  proto = ValidProto();
  proto.mutable_sink()->set_fe_url("ftp://fe");
  status = EngineError(proto);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.sink.fe_url: "));

  proto = ValidProto();
  proto.mutable_sink()->mutable_connect_timeout()->set_nanos(1000);
  status = EngineError(proto);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.sink.connect_timeout: "));

  proto = ValidProto();
  proto.mutable_source()->set_dsn("");
  status = EngineError(proto);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.source.dsn: "));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("pw")));
}

TEST(ProtoConvertTest, AlertErrorsNameTheProtoField) {
  v1::PipelineSpec proto = ValidProto();
  proto.mutable_alerts()->mutable_max_lag()->set_seconds(-5);
  EXPECT_THAT(std::string(SpecFromProto(proto).status().message()),
              StartsWith("spec.alerts.max_lag: must not be negative"));
  proto = ValidProto();
  proto.mutable_alerts()->mutable_max_lag()->set_nanos(500000000);
  EXPECT_THAT(std::string(EngineError(proto).message()),
              StartsWith("spec.alerts.max_lag: must be 0 (off) or between 1s"));
  proto = ValidProto();
  proto.mutable_alerts()->set_max_retained_wal_bytes(1000);
  absl::Status status = EngineError(proto);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("spec.alerts.max_retained_wal_bytes: "));
}

TEST(ProtoConvertTest, OtherErrorsAreUnchanged) {
  absl::Status check = absl::InvalidArgumentError("source.reachable: bad DSN");
  EXPECT_EQ(MapSpecError(check, ValidProto()), check);
  absl::Status missing = absl::FailedPreconditionError("tables[0]: x");
  EXPECT_EQ(MapSpecError(missing, ValidProto()), missing);
}

TEST(ProtoConvertTest, PipelineIdField) {
  EXPECT_TRUE(ValidatePipelineIdField("orders-1").ok());
  for (const char* bad : {"", "Orders", "1abc", "a_b", "a/b"}) {
    absl::Status status = ValidatePipelineIdField(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), StartsWith("pipeline_id: ")) << bad;
  }
}

TEST(ProtoConvertTest, SpecToProtoRoundTripsAndHidesThePassword) {
  auto spec = SpecFromProto(ValidProto());
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(pipeline::ApplyDefaults("shop", &*spec).ok());
  v1::PipelineSpec proto;
  SpecToProto(*spec, &proto);
  EXPECT_EQ(proto.sink().password(), pipeline::kRedacted);
  ASSERT_EQ(proto.tables_size(), 2);
  EXPECT_EQ(proto.tables(0), "public.orders");
  EXPECT_EQ(proto.tables(1), "sales.items");
  ASSERT_EQ(proto.table_mappings_size(), 1);
  EXPECT_EQ(proto.table_mappings(0).target(), "odd");
  EXPECT_EQ(proto.source().slot_name(), "dbmazz_shop");
  auto back = SpecFromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tables[2].source, spec->tables[2].source);
  EXPECT_EQ(back->sink.connect_timeout, spec->sink.connect_timeout);
  EXPECT_EQ(back->batching.max_bytes, spec->batching.max_bytes);
}

TEST(ProtoConvertTest, StatusToProto) {
  runtime::PipelineStatus status;
  status.pipeline_id = "shop";
  status.state = runtime::PipelineState::kRetrying;
  status.desired_state = state::DesiredState::kPaused;
  status.message = "waiting";
  status.create_time = absl::FromUnixMillis(1700000000123);
  status.checkpoint_lsn = 0x16B374D848;
  status.confirmed_lsn = 0x100;
  status.rows_inserted = 7;
  status.loads_completed = 3;
  status.attempt = 2;
  status.last_error = "sink down";
  runtime::SlotHealth slot;
  slot.sample_time = absl::FromUnixSeconds(1700000001);
  slot.server_wal_lsn = 0x500;
  slot.retained_wal_bytes = 4096;
  slot.wal_status = "reserved";
  status.slot = slot;
  status.lag_bytes = 0x400;
  status.lag = absl::Milliseconds(2500);
  status.warnings.push_back({runtime::WarningKind::kLagHigh, "lag 2.5s (alerts.max_lag 1s)",
                             absl::FromUnixSeconds(1700000002)});
  status.warnings.push_back(
      {runtime::WarningKind::kSlotWalUnreserved, "unreserved", absl::FromUnixSeconds(1700000003)});
  v1::Pipeline proto;
  StatusToProto(status, &proto);
  EXPECT_EQ(proto.pipeline_id(), "shop");
  EXPECT_EQ(proto.state(), v1::Pipeline::RETRYING);
  EXPECT_EQ(proto.desired_state(), v1::Pipeline::PAUSED_BY_USER);
  EXPECT_EQ(proto.message(), "waiting");
  EXPECT_EQ(proto.create_time().seconds(), 1700000000);
  EXPECT_EQ(proto.create_time().nanos(), 123000000);
  EXPECT_FALSE(proto.has_update_time());
  EXPECT_EQ(proto.stats().checkpoint_lsn(), "16/B374D848");
  EXPECT_EQ(proto.stats().confirmed_lsn(), "0/100");
  EXPECT_EQ(proto.stats().received_lsn(), "");
  EXPECT_EQ(proto.stats().server_wal_lsn(), "0/500");
  EXPECT_EQ(proto.stats().lag_bytes(), 0x400u);
  EXPECT_EQ(proto.stats().retained_wal_bytes(), 4096u);
  EXPECT_EQ(proto.stats().slot_wal_status(), "reserved");
  EXPECT_EQ(proto.stats().slot_sample_time().seconds(), 1700000001);
  EXPECT_EQ(proto.stats().rows_inserted(), 7u);
  EXPECT_EQ(proto.stats().loads(), 3u);
  EXPECT_EQ(proto.stats().retry_attempt(), 2);
  EXPECT_EQ(proto.stats().last_error(), "sink down");
  EXPECT_FALSE(proto.stats().has_next_attempt_time());
  EXPECT_DOUBLE_EQ(proto.stats().lag_seconds(), 2.5);
  ASSERT_EQ(proto.warnings_size(), 2);
  EXPECT_EQ(proto.warnings(0).kind(), v1::PipelineWarning::LAG_HIGH);
  EXPECT_EQ(proto.warnings(0).message(), "lag 2.5s (alerts.max_lag 1s)");
  EXPECT_EQ(proto.warnings(0).since().seconds(), 1700000002);
  EXPECT_EQ(proto.warnings(1).kind(), v1::PipelineWarning::SLOT_WAL_UNRESERVED);
  EXPECT_EQ(WarningKindToProto(runtime::WarningKind::kRetainedWalHigh),
            v1::PipelineWarning::RETAINED_WAL_HIGH);

  EXPECT_FALSE(proto.has_snapshot());

  status.slot.reset();
  status.lag_bytes = 0;
  v1::Pipeline no_slot;
  StatusToProto(status, &no_slot);
  EXPECT_EQ(no_slot.stats().lag_bytes(), 0u);
  EXPECT_EQ(no_slot.stats().server_wal_lsn(), "");
}

TEST(ProtoConvertTest, SnapshotProgress) {
  runtime::PipelineStatus status;
  status.state = runtime::PipelineState::kSnapshotting;
  runtime::SnapshotStatus snapshot;
  snapshot.epoch = 2;
  snapshot.rows_copied = 1500;
  snapshot.rows_estimate = 3000;
  snapshot.chunks_done = 3;
  snapshot.chunks_total = 7;
  snapshot.rows_per_second = 250.5;
  snapshot.tables.push_back({"public.orders", 1000, 2000, 2, 5});
  snapshot.tables.push_back({"public.items", 500, 1000, 1, 2});
  status.snapshot = snapshot;
  v1::Pipeline proto;
  StatusToProto(status, &proto);
  EXPECT_EQ(proto.state(), v1::Pipeline::SNAPSHOTTING);
  ASSERT_TRUE(proto.has_snapshot());
  EXPECT_FALSE(proto.snapshot().done());
  EXPECT_EQ(proto.snapshot().attempt(), 2);
  EXPECT_EQ(proto.snapshot().rows_copied(), 1500);
  EXPECT_EQ(proto.snapshot().rows_estimate(), 3000);
  EXPECT_EQ(proto.snapshot().chunks_done(), 3);
  EXPECT_EQ(proto.snapshot().chunks_total(), 7);
  EXPECT_DOUBLE_EQ(proto.snapshot().rows_per_second(), 250.5);
  ASSERT_EQ(proto.snapshot().tables_size(), 2);
  EXPECT_EQ(proto.snapshot().tables(1).table(), "public.items");
  EXPECT_EQ(proto.snapshot().tables(1).chunks_total(), 2);
  EXPECT_EQ(StateToProto(runtime::PipelineState::kCompleted), v1::Pipeline::COMPLETED);
}

TEST(ProtoConvertTest, StatesAndEvents) {
  EXPECT_EQ(StateToProto(runtime::PipelineState::kStreaming), v1::Pipeline::STREAMING);
  EXPECT_EQ(StateToProto(runtime::PipelineState::kPaused), v1::Pipeline::PAUSED);
  EXPECT_EQ(StateToProto(runtime::PipelineState::kDeleting), v1::Pipeline::DELETING);
  EXPECT_EQ(StateToProto(runtime::PipelineState::kUnspecified), v1::Pipeline::STATE_UNSPECIFIED);
  state::EventRecord event{42, "shop", absl::FromUnixSeconds(5), "paused", "by user"};
  v1::PipelineEvent proto;
  EventToProto(event, &proto);
  EXPECT_EQ(proto.id(), 42);
  EXPECT_EQ(proto.time().seconds(), 5);
  EXPECT_EQ(proto.kind(), "paused");
  EXPECT_EQ(proto.message(), "by user");
}

}  // namespace
}  // namespace dbmazz::server
