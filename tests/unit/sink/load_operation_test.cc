// LoadOperation: every branch of the Stream Load retry policy, driven with
// synthetic responses and times (no I/O, no clock).
#include "engine/sink/load_operation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/cord.h"

namespace dbmazz::sink {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kPrefix[] = "Stream Load into shop.events (label L1): ";

const absl::Time kT0 = absl::FromUnixSeconds(1000);

StreamLoadOptions Options() {
  StreamLoadOptions o;
  o.fe_url = "http://127.0.0.1:8030";
  o.database = "shop";
  o.user = "root";
  o.max_retries = 3;
  o.initial_backoff = milliseconds(100);
  o.max_backoff = milliseconds(1000);
  o.label_wait_timeout = milliseconds(1000);
  return o;
}

LoadRequest Request() {
  LoadRequest r;
  r.table = "events";
  r.label = "L1";
  r.body = R"([{"id":1}])";
  return r;
}

LoadResponse Response(LoadStatus status, std::string message = "OK", std::string existing = "") {
  LoadResponse r;
  r.status = status;
  r.message = std::move(message);
  r.existing_job_status = std::move(existing);
  return r;
}

LoadResponse TooManyVersions() {
  return Response(LoadStatus::kFail,
                  "Failed to load data into tablet 1, because of too many versions, "
                  "current/limit: 1002/1000");
}

LoadState State(TxnState state, std::string reason = "") { return LoadState{state, reason}; }

class LoadOperationTest : public ::testing::Test {
 protected:
  LoadOperation Make(const StreamLoadOptions& options = Options(),
                     const LoadRequest& request = Request()) {
    return LoadOperation(options, request, &rng_);
  }
  std::mt19937_64 rng_{42};
};

TEST_F(LoadOperationTest, FirstSendSucceeds) {
  for (LoadResponse ok : {Response(LoadStatus::kSuccess), Response(LoadStatus::kPublishTimeout),
                          Response(LoadStatus::kLabelAlreadyExists, "", "FINISHED")}) {
    LoadOperation op = Make();
    LoadNext next = op.Start(kT0);
    EXPECT_EQ(next.action, LoadAction::kSend);
    EXPECT_EQ(next.at, kT0);
    EXPECT_FALSE(op.done());
    next = op.OnSent(ok, kT0 + absl::Milliseconds(5));
    EXPECT_EQ(next.action, LoadAction::kDone);
    EXPECT_TRUE(op.done());
    EXPECT_TRUE(op.status().ok()) << op.status();
    EXPECT_EQ(op.attempts(), 1);
    EXPECT_EQ(op.retries(), 0);
    EXPECT_EQ(op.label_polls(), 0);
  }
}

TEST_F(LoadOperationTest, InvalidRequestsEndAtStart) {
  LoadRequest no_label = Request();
  no_label.label = "";
  LoadOperation op = Make(Options(), no_label);
  EXPECT_EQ(op.Start(kT0).action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(op.status().message(),
            "Stream Load into shop.events (label ): a label is required: it is what makes "
            "retries idempotent");

  LoadRequest empty_body = Request();
  empty_body.body = "";
  LoadOperation op2 = Make(Options(), empty_body);
  EXPECT_EQ(op2.Start(kT0).action, LoadAction::kDone);
  EXPECT_EQ(op2.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(op2.status().message(), std::string(kPrefix) + "body is empty");
  EXPECT_EQ(op2.attempts(), 0);

  LoadRequest bad_header = Request();
  bad_header.extra_headers = {{"label", "other"}};
  LoadOperation op3 = Make(Options(), bad_header);
  EXPECT_EQ(op3.Start(kT0).action, LoadAction::kDone);
  EXPECT_THAT(std::string(op3.status().message()), HasSubstr("is set by the client"));
}

TEST_F(LoadOperationTest, PermanentErrorsEndWithThePrefixedError) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  LoadNext next = op.OnSent(absl::UnauthenticatedError("PUT x: HTTP 401"), kT0);
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(op.status().message(), std::string(kPrefix) + "PUT x: HTTP 401");

  LoadOperation denied = Make();
  (void)denied.Start(kT0);
  next =
      denied.OnSent(Response(LoadStatus::kFail, "Access denied; you need INSERT privilege"), kT0);
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.status().message()), StartsWith(kPrefix));
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("INSERT privilege"));
  EXPECT_EQ(denied.attempts(), 1);
}

TEST_F(LoadOperationTest, RetryableFailuresBackOffWithFullJitterThenGiveUp) {
  StreamLoadOptions options = Options();
  options.initial_backoff = milliseconds(100);
  options.max_backoff = milliseconds(250);
  LoadOperation op = Make(options);
  absl::Time now = kT0;
  LoadNext next = op.Start(now);
  // Caps 100, 200, 250 (max_backoff), for retries 0, 1, 2.
  const absl::Duration caps[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                 absl::Milliseconds(250)};
  for (int retry = 0; retry < 3; ++retry) {
    ASSERT_EQ(next.action, LoadAction::kSend);
    now = next.at + absl::Milliseconds(7);  // The transfer took 7 ms.
    next = op.OnSent(retry == 1 ? absl::StatusOr<LoadResponse>(absl::UnavailableError("reset"))
                                : absl::StatusOr<LoadResponse>(TooManyVersions()),
                     now);
    ASSERT_EQ(next.action, LoadAction::kSend) << op.status();
    EXPECT_GE(next.at, now);
    EXPECT_LE(next.at, now + caps[retry]);
  }
  EXPECT_EQ(op.retries(), 2);
  next = op.OnSent(TooManyVersions(), next.at);
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(op.status().message()), StartsWith(kPrefix));
  EXPECT_THAT(std::string(op.status().message()),
              HasSubstr("gave up after 4 attempts; last error: StarRocks Stream Load Fail: "
                        "Failed to load data into tablet 1, because of too many versions"));
  EXPECT_EQ(op.attempts(), 4);
  EXPECT_EQ(op.retries(), 3);
}

TEST_F(LoadOperationTest, BackoffsAreSpreadOverTheWholeJitterRange) {
  // Full jitter: across many operations the first backoff covers [0, 100 ms].
  absl::Duration lowest = absl::InfiniteDuration();
  absl::Duration highest = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    LoadOperation op = Make();
    (void)op.Start(kT0);
    LoadNext next = op.OnSent(TooManyVersions(), kT0);
    ASSERT_EQ(next.action, LoadAction::kSend);
    lowest = std::min(lowest, next.at - kT0);
    highest = std::max(highest, next.at - kT0);
  }
  EXPECT_GE(lowest, absl::ZeroDuration());
  EXPECT_LT(lowest, absl::Milliseconds(20));
  EXPECT_GT(highest, absl::Milliseconds(80));
  EXPECT_LE(highest, absl::Milliseconds(100));
}

TEST_F(LoadOperationTest, ZeroBackoffResendsAtOnceAndZeroRetriesGivesUpAtOnce) {
  StreamLoadOptions options = Options();
  options.initial_backoff = milliseconds(0);
  options.max_backoff = milliseconds(0);
  LoadOperation op = Make(options);
  (void)op.Start(kT0);
  LoadNext next = op.OnSent(TooManyVersions(), kT0);
  EXPECT_EQ(next.action, LoadAction::kSend);
  EXPECT_EQ(next.at, kT0);

  options.max_retries = 0;
  LoadOperation once = Make(options);
  (void)once.Start(kT0);
  EXPECT_EQ(once.OnSent(TooManyVersions(), kT0).action, LoadAction::kDone);
  EXPECT_THAT(std::string(once.status().message()), HasSubstr("gave up after 1 attempts"));
}

TEST_F(LoadOperationTest, LabelInProgressResolvedAsLoaded) {
  for (TxnState settled : {TxnState::kVisible, TxnState::kCommitted}) {
    LoadOperation op = Make();
    (void)op.Start(kT0);
    LoadNext next = op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
    EXPECT_EQ(next.action, LoadAction::kGetState);
    EXPECT_EQ(next.at, kT0);  // The first poll is immediate.
    next = op.OnState(State(settled), kT0 + absl::Milliseconds(3));
    EXPECT_EQ(next.action, LoadAction::kDone);
    EXPECT_TRUE(op.status().ok()) << op.status();
    EXPECT_EQ(op.attempts(), 1);
    EXPECT_EQ(op.label_polls(), 1);
  }
}

TEST_F(LoadOperationTest, AbortedLabelIsResentAtOnce) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  (void)op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  const absl::Time t1 = kT0 + absl::Milliseconds(10);
  LoadNext next = op.OnState(State(TxnState::kAborted, "txn timeout"), t1);
  EXPECT_EQ(next.action, LoadAction::kSend);
  EXPECT_EQ(next.at, t1);
  // Cancelling now is not "while backing off".
  LoadOperation copy = op;
  (void)copy.Cancel();
  EXPECT_EQ(copy.status().message(), std::string(kPrefix) + "cancelled");

  next = op.OnSent(Response(LoadStatus::kSuccess), t1);
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_TRUE(op.status().ok());
  EXPECT_EQ(op.attempts(), 2);
  EXPECT_EQ(op.retries(), 1);

  StreamLoadOptions options = Options();
  options.max_retries = 0;
  LoadOperation last = Make(options);
  (void)last.Start(kT0);
  (void)last.OnSent(Response(LoadStatus::kLabelAlreadyExists), kT0);  // No ExistingJobStatus.
  EXPECT_EQ(last.OnState(State(TxnState::kAborted, "txn timeout"), t1).action, LoadAction::kDone);
  EXPECT_EQ(last.status().message(),
            std::string(kPrefix) +
                "gave up after 1 attempts; last error: label was ABORTED: txn timeout");
}

TEST_F(LoadOperationTest, UnknownLabelIsResentAfterABackoff) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  (void)op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  LoadNext next = op.OnState(State(TxnState::kUnknown), kT0);
  EXPECT_EQ(next.action, LoadAction::kSend);
  EXPECT_GE(next.at, kT0);
  EXPECT_LE(next.at, kT0 + absl::Milliseconds(100));
  (void)op.Cancel();
  EXPECT_EQ(op.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(op.status().message(),
            std::string(kPrefix) +
                "cancelled while backing off; last error: Label Already Exists, but "
                "get_load_state answered UNKNOWN");
}

TEST_F(LoadOperationTest, PreparedLabelIsPolledWithDoublingDelayUntilTheDeadline) {
  StreamLoadOptions options = Options();
  options.initial_backoff = milliseconds(100);
  options.max_backoff = milliseconds(300);
  options.label_wait_timeout = milliseconds(1000);
  LoadOperation op = Make(options);
  (void)op.Start(kT0);
  LoadNext next = op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  // Polls answered at once: delays 100, 200, 300 (max_backoff), 300, then
  // the 100 ms left before the deadline.
  std::vector<int64_t> at_ms;
  TxnState states[] = {TxnState::kPrepare, TxnState::kPrepared};
  for (int i = 0; next.action == LoadAction::kGetState && i < 20; ++i) {
    at_ms.push_back(absl::ToInt64Milliseconds(next.at - kT0));
    next = op.OnState(i == 2 ? absl::StatusOr<LoadState>(absl::UnavailableError("FE busy"))
                             : absl::StatusOr<LoadState>(State(states[i % 2])),
                      next.at);
  }
  EXPECT_THAT(at_ms, ::testing::ElementsAre(0, 100, 300, 600, 900, 1000));
  ASSERT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(op.status().message(),
            std::string(kPrefix) +
                "Label Already Exists and not settled after 1000 ms: label still PREPARED");
  EXPECT_EQ(op.label_polls(), 6);
  EXPECT_EQ(op.attempts(), 1);  // Never re-sent while the label is held.
}

TEST_F(LoadOperationTest, RetryableStateErrorAtTheDeadlineIsNamed) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  (void)op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  LoadNext next = op.OnState(absl::DeadlineExceededError("GET y: timeout"), kT0 + absl::Seconds(2));
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(
      op.status().message(),
      std::string(kPrefix) +
          "Label Already Exists and not settled after 1000 ms: get_load_state: GET y: timeout");
}

TEST_F(LoadOperationTest, PermanentStateErrorEndsTheLoad) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  (void)op.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  LoadNext next = op.OnState(absl::NotFoundError("unknown database, database=shop"), kT0);
  EXPECT_EQ(next.action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(op.status().message(), std::string(kPrefix) + "unknown database, database=shop");
}

TEST_F(LoadOperationTest, CancelEndsWithCancelledAndIsFinal) {
  LoadOperation op = Make();
  (void)op.Start(kT0);
  EXPECT_EQ(op.Cancel().action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(op.status().message(), std::string(kPrefix) + "cancelled");
  // Once done, nothing changes the outcome.
  EXPECT_EQ(op.OnSent(Response(LoadStatus::kSuccess), kT0).action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kCancelled);

  LoadOperation polling = Make();
  (void)polling.Start(kT0);
  (void)polling.OnSent(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING"), kT0);
  (void)polling.Cancel();
  EXPECT_EQ(polling.status().message(), std::string(kPrefix) + "cancelled");

  LoadOperation loaded = Make();
  (void)loaded.Start(kT0);
  (void)loaded.OnSent(Response(LoadStatus::kSuccess), kT0);
  EXPECT_EQ(loaded.Cancel().action, LoadAction::kDone);
  EXPECT_TRUE(loaded.status().ok());
}

TEST_F(LoadOperationTest, OutOfOrderCallsEndWithInternal) {
  LoadOperation op = Make();
  EXPECT_EQ(op.OnSent(Response(LoadStatus::kSuccess), kT0).action, LoadAction::kDone);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kInternal);

  LoadOperation sending = Make();
  (void)sending.Start(kT0);
  EXPECT_EQ(sending.OnState(State(TxnState::kVisible), kT0).action, LoadAction::kDone);
  EXPECT_EQ(sending.status().code(), absl::StatusCode::kInternal);
}

TEST_F(LoadOperationTest, SameSeedSameSchedule) {
  // No clock and no hidden randomness: the schedule depends only on the
  // inputs and the generator.
  auto schedule = [](uint64_t seed) {
    std::mt19937_64 rng(seed);
    LoadOperation op(Options(), Request(), &rng);
    std::vector<absl::Time> times;
    LoadNext next = op.Start(kT0);
    while (next.action == LoadAction::kSend) {
      times.push_back(next.at);
      next = op.OnSent(TooManyVersions(), next.at);
    }
    return times;
  };
  EXPECT_EQ(schedule(7), schedule(7));
  EXPECT_EQ(schedule(7).size(), 4u);
}

TEST_F(LoadOperationTest, CountsEveryAttemptByResult) {
  LoadOperation op = Make();
  LoadNext next = op.Start(kT0);
  absl::Status http = absl::UnavailableError("PUT x: HTTP 503");
  http.SetPayload(kHttpStatusPayload, absl::Cord("503"));
  const absl::StatusOr<LoadResponse> answers[] = {
      absl::DeadlineExceededError("PUT x: Timeout was reached"), http,
      absl::UnavailableError("PUT x: Couldn't connect to server"), TooManyVersions()};
  for (const auto& answer : answers) {
    ASSERT_EQ(next.action, LoadAction::kSend);
    next = op.OnSent(answer, next.at);
  }
  ASSERT_EQ(next.action, LoadAction::kDone);  // max_retries 3: four attempts
  const AttemptCounts& counts = op.attempt_results();
  EXPECT_EQ(counts[static_cast<size_t>(AttemptResult::kTimeout)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(AttemptResult::kHttpError)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(AttemptResult::kConnectionError)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(AttemptResult::kFail)], 1u);
  EXPECT_EQ(counts[static_cast<size_t>(AttemptResult::kSuccess)], 0u);
  EXPECT_EQ(ClassifyAttempt(Response(LoadStatus::kLabelAlreadyExists, "", "RUNNING")),
            AttemptResult::kLabelAlreadyExists);
  EXPECT_EQ(ClassifyAttempt(Response(LoadStatus::kPublishTimeout)), AttemptResult::kPublishTimeout);
  EXPECT_EQ(ClassifyAttempt(absl::DataLossError("malformed StarRocks response")),
            AttemptResult::kBadResponse);
  EXPECT_EQ(AttemptResultName(AttemptResult::kLabelAlreadyExists), "label_already_exists");
}

}  // namespace
}  // namespace dbmazz::sink
