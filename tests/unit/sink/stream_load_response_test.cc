#include "engine/sink/stream_load_response.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dbmazz::sink {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Shapes as StarRocks' BE writes them (rapidjson PrettyWriter, 4 spaces).
constexpr char kSuccess[] = R"({
    "TxnId": 1003,
    "Label": "dbmazz_p_orders_0-10_0-20",
    "Status": "Success",
    "Message": "OK",
    "NumberTotalRows": 3,
    "NumberLoadedRows": 3,
    "NumberFilteredRows": 0,
    "NumberUnselectedRows": 0,
    "LoadBytes": 75,
    "LoadTimeMs": 32,
    "BeginTxnTimeMs": 0,
    "StreamLoadPlanTimeMs": 2,
    "ReadDataTimeMs": 0,
    "WriteDataTimeMs": 11,
    "CommitAndPublishTimeMs": 17
})";

constexpr char kPublishTimeout[] = R"({
    "TxnId": 1004,
    "Label": "l2",
    "Status": "Publish Timeout",
    "Message": "transaction commit successfully, BUT data will be visible later",
    "NumberTotalRows": 1,
    "NumberLoadedRows": 1,
    "NumberFilteredRows": 0,
    "NumberUnselectedRows": 0,
    "LoadBytes": 20,
    "LoadTimeMs": 10015,
    "BeginTxnTimeMs": 0,
    "StreamLoadPlanTimeMs": 1,
    "ReadDataTimeMs": 0,
    "WriteDataTimeMs": 5,
    "CommitAndPublishTimeMs": 10008
})";

constexpr char kLabelExistsFinished[] = R"({
    "TxnId": -1,
    "Label": "l3",
    "Status": "Label Already Exists",
    "ExistingJobStatus": "FINISHED",
    "Message": "Label [l3] has already been used.",
    "NumberTotalRows": 0,
    "NumberLoadedRows": 0,
    "NumberFilteredRows": 0,
    "NumberUnselectedRows": 0,
    "LoadBytes": 0,
    "LoadTimeMs": 0,
    "BeginTxnTimeMs": 0,
    "StreamLoadPlanTimeMs": 0,
    "ReadDataTimeMs": 0,
    "WriteDataTimeMs": 0,
    "CommitAndPublishTimeMs": 0
})";

constexpr char kFilteredRows[] = R"({
    "TxnId": 1005,
    "Label": "l4",
    "Status": "Fail",
    "Message": "too many filtered rows",
    "NumberTotalRows": 4,
    "NumberLoadedRows": 3,
    "NumberFilteredRows": 1,
    "NumberUnselectedRows": 0,
    "LoadBytes": 88,
    "LoadTimeMs": 12,
    "BeginTxnTimeMs": 0,
    "StreamLoadPlanTimeMs": 1,
    "ReadDataTimeMs": 0,
    "WriteDataTimeMs": 3,
    "CommitAndPublishTimeMs": 0,
    "ErrorURL": "http://10.0.0.7:8040/api/_load_error_log?file=error_log_1005_l4"
})";

constexpr char kFeFailure[] = R"({
  "Status": "FAILED",
  "Message": "class com.starrocks.common.DdlException: There is no 100-continue header"
})";

TEST(ParseLoadResponseTest, Success) {
  auto r = ParseLoadResponse(kSuccess);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kSuccess);
  EXPECT_EQ(r->txn_id, 1003);
  EXPECT_EQ(r->label, "dbmazz_p_orders_0-10_0-20");
  EXPECT_EQ(r->message, "OK");
  EXPECT_EQ(r->total_rows, 3);
  EXPECT_EQ(r->loaded_rows, 3);
  EXPECT_EQ(r->filtered_rows, 0);
  EXPECT_EQ(r->load_bytes, 75);
  EXPECT_EQ(r->load_time_ms, 32);
  EXPECT_TRUE(r->error_url.empty());
  EXPECT_EQ(ClassifyLoadResponse(*r).outcome, LoadOutcome::kLoaded);
}

TEST(ParseLoadResponseTest, PublishTimeoutIsLoaded) {
  auto r = ParseLoadResponse(kPublishTimeout);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kPublishTimeout);
  Classification c = ClassifyLoadResponse(*r);
  EXPECT_EQ(c.outcome, LoadOutcome::kLoaded);
  EXPECT_TRUE(c.error.ok());
}

TEST(ParseLoadResponseTest, LabelAlreadyExists) {
  auto r = ParseLoadResponse(kLabelExistsFinished);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kLabelAlreadyExists);
  EXPECT_EQ(r->existing_job_status, "FINISHED");
  EXPECT_EQ(r->txn_id, -1);
  EXPECT_EQ(ClassifyLoadResponse(*r).outcome, LoadOutcome::kLoaded);

  r->existing_job_status = "RUNNING";
  EXPECT_EQ(ClassifyLoadResponse(*r).outcome, LoadOutcome::kLabelInProgress);
  r->existing_job_status = "";  // Missing: resolve through get_load_state.
  EXPECT_EQ(ClassifyLoadResponse(*r).outcome, LoadOutcome::kLabelInProgress);
}

TEST(ParseLoadResponseTest, FilteredRowsArePermanentWithErrorUrl) {
  auto r = ParseLoadResponse(kFilteredRows);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kFail);
  EXPECT_EQ(r->filtered_rows, 1);
  EXPECT_EQ(r->error_url, "http://10.0.0.7:8040/api/_load_error_log?file=error_log_1005_l4");
  Classification c = ClassifyLoadResponse(*r);
  EXPECT_EQ(c.outcome, LoadOutcome::kPermanent);
  EXPECT_EQ(c.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.error.message(), HasSubstr("too many filtered rows"));
  EXPECT_THAT(c.error.message(), HasSubstr("1 of 4 rows filtered"));
  EXPECT_THAT(c.error.message(), HasSubstr("error_log_1005_l4"));
}

TEST(ParseLoadResponseTest, FeShape) {
  auto r = ParseLoadResponse(kFeFailure);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kFeFailed);
  EXPECT_EQ(r->txn_id, -1);
  EXPECT_THAT(r->message, HasSubstr("There is no 100-continue header"));
  Classification c = ClassifyLoadResponse(*r);
  EXPECT_EQ(c.outcome, LoadOutcome::kPermanent);
  EXPECT_THAT(c.error.message(), HasSubstr("FAILED"));
}

TEST(ParseLoadResponseTest, LowerCaseRestShape) {
  auto r = ParseLoadResponse(
      R"({"status":"FAILED","code":"1","msg":"unknown database, database=x","message":"m"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kFeFailed);
  EXPECT_EQ(r->message, "unknown database, database=x");
  EXPECT_EQ(ClassifyLoadResponse(*r).error.code(), absl::StatusCode::kNotFound);
}

TEST(ParseLoadResponseTest, MissingOptionalFieldsKeepDefaults) {
  auto r = ParseLoadResponse(R"({"Status":"Success"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->txn_id, -1);
  EXPECT_EQ(r->total_rows, 0);
  EXPECT_EQ(r->message, "");
}

TEST(ParseLoadResponseTest, IntegerLimits) {
  auto r = ParseLoadResponse(
      R"({"Status":"Success","TxnId":9223372036854775807,"LoadBytes":-9223372036854775808})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->txn_id, INT64_MAX);
  EXPECT_EQ(r->load_bytes, INT64_MIN);
}

struct MalformedCase {
  std::string body;
  absl::StatusCode code;
};

class MalformedLoadResponseTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedLoadResponseTest, ReturnsError) {
  auto r = ParseLoadResponse(GetParam().body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), GetParam().code) << r.status();
  EXPECT_THAT(r.status().message(), Not(HasSubstr("\n")));
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, MalformedLoadResponseTest,
    ::testing::Values(
        MalformedCase{"", absl::StatusCode::kDataLoss},
        MalformedCase{"<html><body>502 Bad Gateway</body></html>", absl::StatusCode::kDataLoss},
        MalformedCase{"OK", absl::StatusCode::kDataLoss},
        MalformedCase{"{", absl::StatusCode::kDataLoss},
        MalformedCase{"[]", absl::StatusCode::kDataLoss},
        MalformedCase{"null", absl::StatusCode::kDataLoss},
        MalformedCase{"\"Success\"", absl::StatusCode::kDataLoss},
        MalformedCase{"{}", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Message":"OK"})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":1})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":null})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":["Success"]})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","TxnId":"12"})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","TxnId":1.5})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","TxnId":true})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","LoadBytes":9223372036854775808})",
                      absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","LoadBytes":18446744073709551616})",
                      absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success","LoadBytes":1e400})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Fail","Message":{"a":1}})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Fail","ErrorURL":7})", absl::StatusCode::kDataLoss},
        MalformedCase{"{\"Status\":\"Fail\",\"Message\":\"\xff\xfe\"}",
                      absl::StatusCode::kDataLoss},
        MalformedCase{std::string("{\"Status\":\"Success\"}\0garbage", 28),
                      absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Success"} {"Status":"Fail"})", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"Weird"})", absl::StatusCode::kInternal},
        MalformedCase{R"({"Status":"OK"})", absl::StatusCode::kInternal},
        MalformedCase{"{\"Status\":\"\x01\x02\"}", absl::StatusCode::kDataLoss},
        MalformedCase{R"({"Status":"\u0001\u0002"})", absl::StatusCode::kInternal}));

TEST(ParseLoadResponseTest, EveryTruncationIsAnError) {
  for (const char* full : {kSuccess, kFilteredRows, kFeFailure, kLabelExistsFinished}) {
    std::string body = full;
    ASSERT_TRUE(ParseLoadResponse(body).ok());
    for (size_t n = 0; n < body.size(); ++n) {
      EXPECT_FALSE(ParseLoadResponse(std::string_view(body).substr(0, n)).ok()) << n;
    }
  }
}

TEST(ParseLoadResponseTest, DeepNestingDoesNotCrash) {
  std::string deep = R"({"Status":"Fail","Message":"x","Extra":)" + std::string(200000, '[') +
                     std::string(200000, ']') + "}";
  auto r = ParseLoadResponse(deep);
  // Well-formed and the unknown field is ignored.
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, LoadStatus::kFail);
  auto truncated = ParseLoadResponse(std::string(100000, '{'));
  EXPECT_FALSE(truncated.ok());
}

TEST(ParseLoadResponseTest, HugeMessageIsKept) {
  std::string message(1 << 20, 'm');
  auto r = ParseLoadResponse(R"({"Status":"Fail","Message":")" + message + "\"}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->message.size(), message.size());
}

// --- classification ---------------------------------------------------------

struct MessageCase {
  std::string message;
  LoadOutcome outcome;
  absl::StatusCode code;
};

class ClassifyFailMessageTest : public ::testing::TestWithParam<MessageCase> {};

TEST_P(ClassifyFailMessageTest, Classifies) {
  const MessageCase& tc = GetParam();
  Classification c = ClassifyFailMessage(tc.message);
  EXPECT_EQ(c.outcome, tc.outcome) << tc.message;
  EXPECT_EQ(c.error.code(), tc.code) << tc.message;
  if (!tc.message.empty()) {
    EXPECT_EQ(c.error.message(), tc.message);
  }

  // The same message inside a BE response keeps the classification.
  LoadResponse r;
  r.status = LoadStatus::kFail;
  r.message = tc.message;
  Classification in_response = ClassifyLoadResponse(r);
  EXPECT_EQ(in_response.outcome, tc.outcome);
  EXPECT_EQ(in_response.error.code(), tc.code);
  EXPECT_THAT(in_response.error.message(), HasSubstr(tc.message));
}

constexpr auto kRetry = LoadOutcome::kRetryable;
constexpr auto kPerm = LoadOutcome::kPermanent;
using Code = absl::StatusCode;

INSTANTIATE_TEST_SUITE_P(
    Messages, ClassifyFailMessageTest,
    ::testing::Values(
        // Retryable, known.
        MessageCase{"Failed to load data into tablet 10086, because of too many versions, "
                    "current/limit: 1001/1000. You can reduce the loading job concurrency, or "
                    "increase loading data batch size.",
                    kRetry, Code::kUnavailable},
        MessageCase{"Stream Load exceed http cuncurrent limit 1024, please try again later", kRetry,
                    Code::kUnavailable},
        MessageCase{"Service is shutting down, please retry later!", kRetry, Code::kUnavailable},
        MessageCase{"timeout by txn manager", kRetry, Code::kUnavailable},
        MessageCase{"Commit transaction fail cause THRIFT_RPC_ERROR, Transaction status unknown, "
                    "you can retry with same label.",
                    kRetry, Code::kUnavailable},
        MessageCase{"[E1008]Reached timeout=300000ms @10.0.0.8:8060", kRetry, Code::kUnavailable},
        // Retryable because unknown (capped by the client).
        MessageCase{"some brand new failure", kRetry, Code::kUnavailable},
        MessageCase{"", kRetry, Code::kUnavailable},
        // Permanent.
        MessageCase{"Access denied; you need (at least one of) the INSERT privilege(s) for this "
                    "operation",
                    kPerm, Code::kPermissionDenied},
        MessageCase{"Access denied for user 'u'@'10.0.0.1' (using password: YES)", kPerm,
                    Code::kPermissionDenied},
        MessageCase{"no valid Basic authorization", kPerm, Code::kUnauthenticated},
        MessageCase{"unknown database, database=shop", kPerm, Code::kNotFound},
        MessageCase{"class com.starrocks.common.DdlException: unknown database, database=shop",
                    kPerm, Code::kNotFound},
        MessageCase{"unknown table \"shop.nope\"", kPerm, Code::kNotFound},
        MessageCase{"too many filtered rows", kPerm, Code::kInvalidArgument},
        MessageCase{"Only primary key table support partial update", kPerm,
                    Code::kFailedPrecondition},
        MessageCase{"primary key size exceed the limit.", kPerm, Code::kInvalidArgument},
        MessageCase{"current running txns on db 10001 is 1000, larger than limit 1000", kPerm,
                    Code::kFailedPrecondition},
        MessageCase{"class com.starrocks.common.DdlException: There is no 100-continue header",
                    kPerm, Code::kFailedPrecondition},
        MessageCase{"Label format error. regex: ^[-\\w]{1,128}$, label: a.b", kPerm,
                    Code::kInvalidArgument},
        MessageCase{"parse error. illegal json started with x", kPerm, Code::kInvalidArgument},
        MessageCase{"Invalid partial update flag format. Must be bool type", kPerm,
                    Code::kInvalidArgument},
        MessageCase{"Unknown column 'nope' in 'orders'", kPerm, Code::kInvalidArgument},
        // Case-insensitive.
        MessageCase{"ACCESS DENIED", kPerm, Code::kPermissionDenied},
        MessageCase{"TOO MANY VERSIONS", kRetry, Code::kUnavailable}));

TEST(ClassifyLoadErrorTest, TransportAndHttpCodes) {
  struct Case {
    absl::Status status;
    LoadOutcome outcome;
  } cases[] = {
      {absl::UnavailableError("Connection refused"), kRetry},
      {absl::DeadlineExceededError("Timeout was reached"), kRetry},
      {absl::ResourceExhaustedError("oom"), kRetry},
      {absl::AbortedError("x"), kRetry},
      {absl::DataLossError("malformed StarRocks response"), kRetry},
      {absl::InternalError("unexpected Status"), kRetry},
      {absl::UnknownError("x"), kRetry},
      {absl::UnauthenticatedError("HTTP 401"), kPerm},
      {absl::PermissionDeniedError("HTTP 403"), kPerm},
      {absl::NotFoundError("HTTP 404"), kPerm},
      {absl::InvalidArgumentError("HTTP 400"), kPerm},
      {absl::FailedPreconditionError("x"), kPerm},
      {absl::CancelledError("x"), kPerm},
      {absl::UnimplementedError("x"), kPerm},
  };
  for (const Case& tc : cases) {
    Classification c = ClassifyLoadError(tc.status);
    EXPECT_EQ(c.outcome, tc.outcome) << tc.status;
    EXPECT_EQ(c.error, tc.status);
  }
  Classification ok = ClassifyLoadError(absl::OkStatus());
  EXPECT_FALSE(ok.error.ok());
}

// --- get_load_state ---------------------------------------------------------

TEST(ParseLoadStateTest, States) {
  struct Case {
    const char* body;
    TxnState state;
  } cases[] = {
      {R"({"state":"VISIBLE","status":"OK","code":"0","msg":"Success","message":"OK"})",
       TxnState::kVisible},
      {R"({"state":"COMMITTED","status":"OK"})", TxnState::kCommitted},
      {R"({"state":"PREPARE","status":"OK"})", TxnState::kPrepare},
      {R"({"state":"PREPARED","status":"OK"})", TxnState::kPrepared},
      {R"({"state":"ABORTED","status":"OK"})", TxnState::kAborted},
      {R"({"state":"UNKNOWN","status":"OK"})", TxnState::kUnknown},
      {R"({"state":"FINISHED"})", TxnState::kVisible},
      {R"({"state":"RUNNING"})", TxnState::kPrepare},
      {R"({"state":"visible"})", TxnState::kVisible},
      {R"({"msg":"success","code":0,"data":"VISIBLE","count":0})", TxnState::kVisible},
  };
  for (const Case& tc : cases) {
    auto s = ParseLoadStateResponse(tc.body);
    ASSERT_TRUE(s.ok()) << tc.body << ": " << s.status();
    EXPECT_EQ(s->state, tc.state) << tc.body;
  }
  auto aborted = ParseLoadStateResponse(
      R"({"state":"ABORTED","reason":"too many filtered rows","status":"OK"})");
  ASSERT_TRUE(aborted.ok());
  EXPECT_EQ(aborted->reason, "too many filtered rows");
}

TEST(ParseLoadStateTest, Errors) {
  struct Case {
    const char* body;
    absl::StatusCode code;
  } cases[] = {
      {R"({"status":"FAILED","code":"1","msg":"unknown database, database=x","message":"x"})",
       absl::StatusCode::kNotFound},
      {R"({"status":"FAILED","msg":"Access denied for user 'u'"})",
       absl::StatusCode::kPermissionDenied},
      {R"({"status":"FAILED","msg":"No label selected."})", absl::StatusCode::kUnavailable},
      {R"({"state":"BOGUS"})", absl::StatusCode::kInternal},
      {R"({"state":5})", absl::StatusCode::kDataLoss},
      {R"({"state":"VISIBLE","reason":3})", absl::StatusCode::kDataLoss},
      {R"({"status":"OK"})", absl::StatusCode::kDataLoss},
      {"{}", absl::StatusCode::kDataLoss},
      {"", absl::StatusCode::kDataLoss},
      {"VISIBLE", absl::StatusCode::kDataLoss},
      {R"({"state":"VISIBLE")", absl::StatusCode::kDataLoss},
  };
  for (const Case& tc : cases) {
    auto s = ParseLoadStateResponse(tc.body);
    ASSERT_FALSE(s.ok()) << tc.body;
    EXPECT_EQ(s.status().code(), tc.code) << tc.body << ": " << s.status();
  }
}

TEST(ErrorBodyMessageTest, ExtractsOrSanitizes) {
  EXPECT_EQ(
      ErrorBodyMessage(R"({"status":"FAILED","code":"1","msg":"Access denied","message":"m"})"),
      "Access denied");
  EXPECT_EQ(ErrorBodyMessage("Bad Gateway\r\n"), "Bad Gateway??");
  EXPECT_EQ(ErrorBodyMessage(""), "");
  std::string long_body(1000, 'x');
  EXPECT_EQ(ErrorBodyMessage(long_body), std::string(300, 'x') + "...");
}

TEST(NamesTest, RoundTrip) {
  EXPECT_EQ(LoadStatusName(LoadStatus::kPublishTimeout), "Publish Timeout");
  EXPECT_EQ(TxnStateName(TxnState::kPrepared), "PREPARED");
  EXPECT_EQ(LoadOutcomeName(LoadOutcome::kLabelInProgress), "label in progress");
}

}  // namespace
}  // namespace dbmazz::sink
