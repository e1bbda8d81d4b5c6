// StreamLoadClient against the in-process StarRocks emulator (FE + BE on free
// ports): redirect, Expect, auth, labels, retries under injected faults,
// timeouts and cancellation.
#include "engine/sink/stream_load_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/sink/label.h"
#include "tests/support/starrocks_emulator/emulator.h"
#include "tests/support/starrocks_emulator/stream_load_client.h"

namespace dbmazz::sink {
namespace {

namespace emu = ::dbmazz::starrocks_emulator;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kPassword[] = "pa:ss:word";

constexpr char kSchema[] = R"yaml(
users:
  - {name: root, password: ""}
  - {name: loader, password: "pa:ss:word"}
databases:
  - name: shop
    tables:
      - name: orders
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: name, type: "VARCHAR(8)"}
          - {name: qty, type: INT, not_null: true, default: 0}
          - {name: note, type: STRING}
      - name: events
        keys: duplicate
        columns:
          - {name: id, type: BIGINT}
          - {name: note, type: STRING}
)yaml";

// Rows for the duplicate-key table, where a second application would show.
constexpr char kEvents[] = R"([{"id":1,"note":"a"},{"id":2,"note":"b"},{"id":3,"note":"c"}])";
constexpr int64_t kEventRows = 3;

class StreamLoadClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = emu::ParseSchema(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status();
    emu::EmulatorOptions options;
    options.schema = *schema;
    auto emulator = emu::StarRocksEmulator::Start(std::move(options));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }

  StreamLoadOptions Options() const {
    StreamLoadOptions o;
    o.fe_url = emulator_->fe_url();
    o.database = "shop";
    o.user = "loader";
    o.password = kPassword;
    o.connect_timeout = milliseconds(2000);
    o.request_timeout = milliseconds(10000);
    o.max_retries = 5;
    o.initial_backoff = milliseconds(10);
    o.max_backoff = milliseconds(50);
    o.label_wait_timeout = milliseconds(5000);
    return o;
  }

  std::unique_ptr<StreamLoadClient> Client(const StreamLoadOptions& options) {
    auto client = StreamLoadClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
  std::unique_ptr<StreamLoadClient> Client() { return Client(Options()); }

  static LoadRequest Request(const std::string& table, const std::string& label,
                             std::string_view body) {
    LoadRequest r;
    r.table = table;
    r.label = label;
    r.body = body;
    return r;
  }

  void AddFault(const std::string& json) {
    absl::Status st = emulator_->AddFaults(json);
    ASSERT_TRUE(st.ok()) << st;
  }

  int64_t Rows(const std::string& table) {
    auto n = emulator_->RowCount("shop", table);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  std::vector<emu::LoadRecord> LoadsWithLabel(const std::string& label) {
    std::vector<emu::LoadRecord> out;
    for (emu::LoadRecord& r : emulator_->Loads()) {
      if (r.label == label) out.push_back(std::move(r));
    }
    return out;
  }

  static std::string Header(const emu::LoadRecord& r, const std::string& name) {
    for (const auto& [key, value] : r.headers) {
      if (absl::EqualsIgnoreCase(key, name)) return value;
    }
    return "<absent>";
  }

  std::unique_ptr<emu::StarRocksEmulator> emulator_;
};

// Error messages must never reveal the password.
void ExpectNoPassword(const absl::Status& st) {
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr(kPassword)));
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("SECRET")));
}

TEST_F(StreamLoadClientTest, LoadsThroughTheFeRedirectWithCredentialsAndBody) {
  auto client = Client();
  LabelSpec spec;
  spec.pipeline = "p1";
  spec.table = "events";
  spec.first_lsn = 1;
  spec.last_lsn = 9;
  std::string label = MakeLabel(spec);
  ASSERT_TRUE(client->Load(Request("events", label, kEvents)).ok());

  EXPECT_EQ(Rows("events"), kEventRows);
  std::vector<emu::LoadRecord> loads = LoadsWithLabel(label);
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].status, "Success");
  EXPECT_EQ(loads[0].user, "loader");  // Credentials reached the BE (with ':' in the password).
  EXPECT_EQ(loads[0].load_bytes, static_cast<int64_t>(std::strlen(kEvents)));  // Whole body.
  EXPECT_EQ(Header(loads[0], "format"), "json");
  EXPECT_EQ(Header(loads[0], "strip_outer_array"), "true");
  EXPECT_EQ(Header(loads[0], "ignore_json_size"), "true");
  EXPECT_EQ(Header(loads[0], "max_filter_ratio"), "0");
  EXPECT_EQ(Header(loads[0], "columns"), "<absent>");
  EXPECT_EQ(Header(loads[0], "partial_update"), "<absent>");

  // The FE answered 307 before the body was sent (Expect honoured), so the
  // body crossed the wire once.
  nlohmann::ordered_json fe = emulator_->state().log.FeJson();
  ASSERT_EQ(fe.size(), 1u);
  EXPECT_EQ(fe[0]["http_status"], 307);
  EXPECT_EQ(fe[0]["label"], label);
  StreamLoadStats stats = client->stats();
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_EQ(stats.retries, 0);
  EXPECT_EQ(stats.bytes_sent, static_cast<int64_t>(std::strlen(kEvents)));
  EXPECT_EQ(stats.loads_succeeded, 1);
  EXPECT_GT(stats.last_latency.count(), 0);
}

TEST_F(StreamLoadClientTest, SendsExpectContinueEvenForATenByteBody) {
  constexpr char kTiny[] = R"([{"id":7}])";
  ASSERT_EQ(std::strlen(kTiny), 10u);
  // Without the header the FE refuses the load...
  emu::StreamLoadClient raw(emulator_->fe_url(), "loader", kPassword);
  emu::RequestOptions no_expect;
  no_expect.expect_continue = false;
  no_expect.headers = {{"format", "json"}, {"strip_outer_array", "true"}, {"label", "raw"}};
  emu::HttpResult refused = raw.StreamLoad("shop", "events", kTiny, no_expect);
  EXPECT_THAT(refused.body, HasSubstr("There is no 100-continue header"));
  // ...and our client's SendOnce gets it through.
  auto client = Client();
  auto response = client->SendOnce(Request("events", "tiny", kTiny));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, LoadStatus::kSuccess) << response->message;
  EXPECT_EQ(response->loaded_rows, 1);
  nlohmann::ordered_json fe = emulator_->state().log.FeJson();
  ASSERT_EQ(fe.size(), 2u);
  EXPECT_EQ(fe[1]["label"], "tiny");
  EXPECT_EQ(fe[1]["expect_100_continue"], true);
  EXPECT_EQ(Rows("events"), 1);
}

TEST_F(StreamLoadClientTest, WrongPasswordIsUnauthenticatedAndNotRetried) {
  StreamLoadOptions options = Options();
  options.password = "wrong:SECRET";
  auto client = Client(options);
  absl::Status st = client->Load(Request("events", "auth1", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("HTTP 401"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("Access denied for user 'loader'"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("shop.events"));
  ExpectNoPassword(st);
  EXPECT_EQ(client->stats().attempts, 1);
  EXPECT_EQ(client->stats().loads_failed, 1);
  EXPECT_EQ(Rows("events"), 0);
}

TEST_F(StreamLoadClientTest, PermissionDeniedFromTheBeIsPermanent) {
  AddFault(R"({"action":"fail","preset":"access_denied","count":-1})");
  auto client = Client();
  absl::Status st = client->Load(Request("events", "denied", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("INSERT privilege"));
  EXPECT_EQ(client->stats().attempts, 1);
}

TEST_F(StreamLoadClientTest, UnknownTableAndDatabaseAreNotFound) {
  auto client = Client();
  // The spaces are URL-escaped and reach the BE as part of the name.
  absl::Status st = client->Load(Request("no such table", "nf1", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("unknown table \"shop.no such table\""));
  EXPECT_EQ(client->stats().attempts, 1);

  StreamLoadOptions options = Options();
  options.database = "nodb";
  auto other = Client(options);
  st = other->Load(Request("events", "nf2", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("unknown database, database=nodb"));
  EXPECT_EQ(other->stats().attempts, 1);
  ExpectNoPassword(st);
}

TEST_F(StreamLoadClientTest, PublishTimeoutIsDoneAndNotResent) {
  AddFault(R"({"action":"publish_timeout","visible_after_ms":5000})");
  auto client = Client();
  ASSERT_TRUE(client->Load(Request("events", "pt1", kEvents)).ok());
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("pt1");
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].status, "Publish Timeout");
  EXPECT_EQ(client->stats().attempts, 1);
  EXPECT_EQ(client->stats().label_polls, 0);
  auto state = client->GetLoadState("pt1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, TxnState::kCommitted);
  EXPECT_EQ(Rows("events"), kEventRows);
}

TEST_F(StreamLoadClientTest, SameLabelAfterACrashIsAppliedOnce) {
  ASSERT_TRUE(Client()->Load(Request("events", "crash1", kEvents)).ok());
  // A restarted pipeline replays the same batch with the same label.
  auto restarted = Client();
  ASSERT_TRUE(restarted->Load(Request("events", "crash1", kEvents)).ok());
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("crash1");
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[1].status, "Label Already Exists");
  EXPECT_EQ(loads[1].existing_job_status, "FINISHED");
  EXPECT_FALSE(loads[1].applied);
  EXPECT_EQ(Rows("events"), kEventRows);
  EXPECT_EQ(restarted->stats().loads_succeeded, 1);
}

TEST_F(StreamLoadClientTest, RunningLabelIsPolledUntilVisible) {
  // Another attempt of this batch is still running and then succeeds.
  ASSERT_TRUE(emulator_
                  ->SetLabelState(R"({"db":"shop","label":"run1","state":"PREPARE",
                                      "duration_ms":400,"then":"VISIBLE"})")
                  .ok());
  auto client = Client();
  ASSERT_TRUE(client->Load(Request("events", "run1", kEvents)).ok());
  EXPECT_GE(client->stats().label_polls, 2);
  EXPECT_EQ(client->stats().attempts, 1);
  // This client did not apply the batch a second time.
  EXPECT_EQ(Rows("events"), 0);
  ASSERT_EQ(LoadsWithLabel("run1").size(), 1u);
  EXPECT_EQ(LoadsWithLabel("run1")[0].existing_job_status, "RUNNING");
}

TEST_F(StreamLoadClientTest, AbortedLabelIsResentWithTheSameLabel) {
  ASSERT_TRUE(emulator_
                  ->SetLabelState(R"({"db":"shop","label":"ab1","state":"PREPARE",
                                      "duration_ms":300,"then":"ABORTED"})")
                  .ok());
  auto client = Client();
  ASSERT_TRUE(client->Load(Request("events", "ab1", kEvents)).ok());
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("ab1");
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0].status, "Label Already Exists");
  EXPECT_EQ(loads[1].status, "Success");
  EXPECT_EQ(client->stats().retries, 1);
  EXPECT_EQ(Rows("events"), kEventRows);
}

TEST_F(StreamLoadClientTest, LabelStuckInPrepareGivesUpAfterTheWaitBound) {
  ASSERT_TRUE(emulator_->SetLabelState(R"({"db":"shop","label":"stuck","state":"PREPARED"})").ok());
  StreamLoadOptions options = Options();
  options.label_wait_timeout = milliseconds(300);
  auto client = Client(options);
  absl::Status st = client->Load(Request("events", "stuck", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("PREPARED"));
  EXPECT_EQ(client->stats().attempts, 1);  // Never re-sent while the label is held.
  EXPECT_EQ(Rows("events"), 0);
}

class RetryableFaultTest : public StreamLoadClientTest,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(RetryableFaultTest, EndsInSuccessWithoutDuplicates) {
  AddFault(GetParam());
  auto client = Client();
  absl::Status st = client->Load(Request("events", "rf1", kEvents));
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(client->stats().retries, 2);
  EXPECT_EQ(Rows("events"), kEventRows);
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("rf1");
  ASSERT_FALSE(loads.empty());
  EXPECT_EQ(loads.back().status, "Success");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RetryableFaultTest,
    ::testing::Values(R"({"action":"fail","preset":"too_many_versions","count":2})",
                      R"({"action":"fail","preset":"shutting_down","phase":"header","count":2})",
                      R"({"action":"fail","preset":"http_concurrent_limit","count":2})",
                      R"({"action":"fail","preset":"timeout_by_txn_manager","count":2})",
                      R"({"action":"fail","preset":"commit_unknown","count":2})",
                      R"({"action":"fail","message":"something new","count":2})",
                      R"({"action":"http_error","status":503,"body":"busy","count":2})",
                      R"({"action":"http_error","target":"fe","status":500,"count":2})",
                      R"({"action":"drop","phase":"before_apply","count":2})",
                      R"({"action":"drop","target":"fe","count":2})"));

TEST_F(StreamLoadClientTest, DroppedConnectionAfterApplyIsResolvedByTheLabel) {
  AddFault(R"({"action":"drop","phase":"after_apply"})");
  auto client = Client();
  ASSERT_TRUE(client->Load(Request("events", "drop1", kEvents)).ok());
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("drop1");
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0].status, "DROPPED");
  EXPECT_TRUE(loads[0].applied);
  EXPECT_EQ(loads[1].status, "Label Already Exists");
  EXPECT_EQ(Rows("events"), kEventRows);  // Not applied twice.
  EXPECT_EQ(client->stats().retries, 1);
}

TEST_F(StreamLoadClientTest, TooManyFilteredRowsIsPermanentWithTheMessage) {
  auto client = Client();
  absl::Status st = client->Load(
      Request("orders", "bad1", R"([{"id":1,"qty":1},{"id":2,"qty":"not a number"}])"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("too many filtered rows"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("/api/_load_error_log?file="));
  EXPECT_EQ(client->stats().attempts, 1);
  EXPECT_EQ(Rows("orders"), 0);  // max_filter_ratio 0: nothing is dropped silently.
}

TEST_F(StreamLoadClientTest, PartialUpdateWritesOnlyTheListedColumns) {
  auto client = Client();
  ASSERT_TRUE(
      client->Load(Request("orders", "full1", R"([{"id":1,"name":"a","qty":3,"note":"keep"}])"))
          .ok());
  LoadRequest partial = Request("orders", "part1", R"([{"id":1,"name":"b"}])");
  partial.columns = "id,name";
  partial.partial_update = true;
  ASSERT_TRUE(client->Load(partial).ok());

  auto dump = emulator_->DumpTable("shop", "orders");
  ASSERT_TRUE(dump.ok()) << dump.status();
  const nlohmann::ordered_json& rows = dump->at("rows");
  ASSERT_EQ(rows.size(), 1u) << dump->dump();
  EXPECT_EQ(rows[0].dump(), R"({"id":1,"name":"b","qty":3,"note":"keep"})");
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("part1");
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(Header(loads[0], "columns"), "id,name");
  EXPECT_EQ(Header(loads[0], "partial_update"), "true");
  EXPECT_EQ(Header(loads[0], "partial_update_mode"), "row");
}

TEST_F(StreamLoadClientTest, RequestTimeoutIsBounded) {
  AddFault(R"({"action":"delay","delay_ms":2000,"phase":"before_apply"})");
  StreamLoadOptions options = Options();
  options.request_timeout = milliseconds(300);
  auto client = Client(options);
  Clock::time_point start = Clock::now();
  auto response = client->SendOnce(Request("events", "slow1", kEvents));
  milliseconds elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_LT(elapsed.count(), 1500) << "a 300 ms timeout waited for the 2 s delay";
}

TEST_F(StreamLoadClientTest, TimeoutThenRetryIsResolvedByTheLabel) {
  // The BE holds the label and applies the data after the client gave up.
  AddFault(R"({"action":"delay","delay_ms":800,"phase":"before_apply"})");
  StreamLoadOptions options = Options();
  options.request_timeout = milliseconds(300);
  auto client = Client(options);
  ASSERT_TRUE(client->Load(Request("events", "slow2", kEvents)).ok());
  EXPECT_GE(client->stats().retries, 1);
  EXPECT_EQ(Rows("events"), kEventRows);  // Applied exactly once.
  std::vector<emu::LoadRecord> loads = LoadsWithLabel("slow2");
  ASSERT_GE(loads.size(), 2u);
  EXPECT_EQ(loads.back().status, "Success");  // The first, slow attempt finished last.
  EXPECT_EQ(loads.front().status, "Label Already Exists");
}

TEST_F(StreamLoadClientTest, RetriesExhaustedCarryTheLastMessage) {
  AddFault(R"({"action":"fail","preset":"too_many_versions","count":-1})");
  StreamLoadOptions options = Options();
  options.max_retries = 2;
  auto client = Client(options);
  absl::Status st = client->Load(Request("events", "tmv", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("too many versions"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("3 attempts"));
  EXPECT_EQ(client->stats().attempts, 3);
  EXPECT_EQ(client->stats().retries, 2);
  EXPECT_EQ(client->stats().loads_failed, 1);
  EXPECT_EQ(Rows("events"), 0);
}

TEST_F(StreamLoadClientTest, CancellationInterruptsTheBackoff) {
  AddFault(R"({"action":"fail","preset":"too_many_versions","count":-1})");
  StreamLoadOptions options = Options();
  options.max_retries = 1000;
  options.initial_backoff = milliseconds(30000);
  options.max_backoff = milliseconds(30000);
  auto client = Client(options);
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel = true;
  });
  Clock::time_point start = Clock::now();
  absl::Status st = client->Load(Request("events", "cx1", kEvents), [&] { return cancel.load(); });
  milliseconds elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  canceller.join();
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled) << st;
  // Backoffs of up to 30 s each: only an interrupted sleep returns this soon.
  EXPECT_LT(elapsed.count(), 5000);
}

TEST_F(StreamLoadClientTest, CancellationInterruptsATransfer) {
  AddFault(R"({"action":"delay","delay_ms":2000,"phase":"before_apply"})");
  auto client = Client();
  std::atomic<int> ticks{0};
  Clock::time_point start = Clock::now();
  auto response = client->SendOnce(Request("events", "cx2", kEvents), [&] {
    ++ticks;
    return Clock::now() - start > milliseconds(500);
  });
  milliseconds elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled) << response.status();
  EXPECT_LT(elapsed.count(), 1500);
  EXPECT_GE(ticks.load(), 4);  // Polled every ~100 ms while the BE was silent.
}

TEST_F(StreamLoadClientTest, ConnectionRefusedIsUnavailable) {
  StreamLoadOptions options = Options();
  options.password = "SECRET:pw";
  options.max_retries = 1;
  emulator_->Stop();
  auto client = Client(options);
  auto response = client->SendOnce(Request("events", "refused", kEvents));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  ExpectNoPassword(response.status());
  absl::Status st = client->Load(Request("events", "refused", kEvents));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("2 attempts"));
  ExpectNoPassword(st);
}

TEST_F(StreamLoadClientTest, GetLoadState) {
  auto client = Client();
  ASSERT_TRUE(client->Load(Request("events", "gs1", kEvents)).ok());
  auto visible = client->GetLoadState("gs1");
  ASSERT_TRUE(visible.ok()) << visible.status();
  EXPECT_EQ(visible->state, TxnState::kVisible);
  auto unknown = client->GetLoadState("never-used");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->state, TxnState::kUnknown);
  EXPECT_EQ(client->GetLoadState("bad label").status().code(), absl::StatusCode::kInvalidArgument);

  StreamLoadOptions options = Options();
  options.database = "nodb";
  EXPECT_EQ(Client(options)->GetLoadState("gs1").status().code(), absl::StatusCode::kNotFound);
  options = Options();
  options.password = "SECRET";
  absl::Status denied = Client(options)->GetLoadState("gs1").status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kUnauthenticated) << denied;
  ExpectNoPassword(denied);
}

TEST_F(StreamLoadClientTest, ConnectionsAreReused) {
  auto client = Client();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->Load(Request("events", absl::StrCat("reuse", i), kEvents)).ok());
  }
  EXPECT_EQ(Rows("events"), 5 * kEventRows);
  EXPECT_EQ(client->stats().attempts, 5);
  // The FE closes its connection after the 307; the BE connection is kept:
  // one FE connection per load plus a single BE connection.
  EXPECT_EQ(client->stats().connections_opened, 5 + 1);
}

TEST(StreamLoadClientCreateTest, RejectsBadOptions) {
  StreamLoadOptions good;
  good.fe_url = "http://127.0.0.1:8030/";
  good.database = "db";
  good.user = "u";
  auto ok = StreamLoadClient::Create(good);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->options().fe_url, "http://127.0.0.1:8030");

  auto bad = [&](auto mutate) {
    StreamLoadOptions o = good;
    mutate(o);
    return StreamLoadClient::Create(o).status().code();
  };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.fe_url = "127.0.0.1:8030"; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.fe_url = "ftp://h"; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.fe_url = "http://"; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.fe_url = "http://u:p@h:8030"; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.fe_url = "http://h:8030/?x"; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.database = ""; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.user = ""; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.request_timeout = milliseconds(0); }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.max_retries = -1; }), kInvalid);
  EXPECT_EQ(bad([](StreamLoadOptions& o) { o.max_backoff = milliseconds(1); }), kInvalid);
}

TEST(StreamLoadClientRequestTest, RejectsBadRequestsBeforeSending) {
  StreamLoadOptions o;
  o.fe_url = "http://127.0.0.1:1";  // Nothing is sent: validation comes first.
  o.database = "db";
  o.user = "u";
  auto client = StreamLoadClient::Create(o);
  ASSERT_TRUE(client.ok());
  LoadRequest r;
  r.table = "t";
  r.label = "l";
  r.body = "[]";
  auto code = [&](const LoadRequest& req) { return (*client)->Load(req).code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  LoadRequest x = r;
  x.label = "";
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.label = "a.b";
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.table = "";
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.body = "";
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.partial_update = true;
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.columns = "id\r\nX-Evil: 1";
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.extra_headers = {{"max_filter_ratio", "1"}};
  EXPECT_EQ(code(x), kInvalid);
  x = r;
  x.extra_headers = {{"merge_condition", "v\n"}};
  EXPECT_EQ(code(x), kInvalid);
  EXPECT_EQ((*client)->stats().attempts, 0);
}

}  // namespace
}  // namespace dbmazz::sink
