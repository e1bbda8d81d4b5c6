// LoadDispatcher against the in-process StarRocks emulator: concurrent loads,
// retries under injected faults, permanent errors, a black-holed sink that
// must not hold up the others, synchronous Cancel() and destruction.
#include "engine/sink/load_dispatcher.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/emulator.h"

namespace dbmazz::sink {
namespace {

namespace emu = ::dbmazz::starrocks_emulator;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kSchema[] = R"yaml(
users:
  - {name: loader, password: "pw"}
databases:
  - name: shop
    tables:
      - name: events
        keys: duplicate
        columns:
          - {name: id, type: BIGINT}
          - {name: note, type: STRING}
)yaml";

constexpr char kEvents[] = R"([{"id":1,"note":"a"},{"id":2,"note":"b"},{"id":3,"note":"c"}])";
constexpr int64_t kEventRows = 3;

// A body of `rows` rows for the duplicate-key table.
std::string Rows(int first, int rows) {
  std::string body = "[";
  for (int i = 0; i < rows; ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", R"({"id":)", first + i, R"(,"note":"n"})");
  }
  return body + "]";
}

// A TCP port that accepts connections (the kernel completes the handshake)
// but never reads or answers: a hung StarRocks.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fd_, 64) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot set up the black hole";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() {
    if (fd_ >= 0) close(fd_);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Collects results by key; thread-safe.
class Results {
 public:
  LoadDispatcher::Callback For(std::string key) {
    return [this, key = std::move(key)](LoadResult result) {
      std::lock_guard<std::mutex> lock(mu_);
      results_[key] = std::move(result);
      ++calls_;
      cv_.notify_all();
    };
  }
  // Waits (bounded, so a bug fails the test rather than hanging it) until
  // `n` callbacks ran.
  bool WaitFor(size_t n, milliseconds timeout = milliseconds(60000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_ >= n; });
  }
  size_t calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  LoadResult Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = results_.find(key);
    if (it == results_.end()) {
      ADD_FAILURE() << "no result for " << key;
      LoadResult missing;
      missing.status = absl::NotFoundError("no result");
      return missing;
    }
    return it->second;
  }
  bool Has(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.count(key) > 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, LoadResult> results_;
  size_t calls_ = 0;
};

class LoadDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = emu::ParseSchema(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status();
    emu::EmulatorOptions options;
    options.schema = *schema;
    options.be_threads = 64;  // Every keep-alive connection holds a BE thread.
    auto emulator = emu::StarRocksEmulator::Start(std::move(options));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    options_ = Options(emulator_->fe_url());
    auto dispatcher = LoadDispatcher::Create();
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
    dispatcher_ = *std::move(dispatcher);
  }

  void TearDown() override { dispatcher_.reset(); }  // Before the options it borrows.

  static StreamLoadOptions Options(std::string fe_url) {
    StreamLoadOptions o;
    o.fe_url = std::move(fe_url);
    o.database = "shop";
    o.user = "loader";
    o.password = "pw";
    o.connect_timeout = milliseconds(2000);
    o.request_timeout = milliseconds(20000);
    o.max_retries = 5;
    o.initial_backoff = milliseconds(10);
    o.max_backoff = milliseconds(50);
    o.label_wait_timeout = milliseconds(10000);
    return o;
  }

  static LoadRequest Request(const std::string& label, std::string_view body,
                             const std::string& table = "events") {
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

  int64_t RowCount() {
    auto n = emulator_->RowCount("shop", "events");
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  // Whether a load holds `label` in PREPARE (the BE is in the middle of it).
  bool LabelRunning(const std::string& label) {
    std::lock_guard<std::mutex> lock(emulator_->state().mu);
    return emulator_->state().labels.Lookup("shop", label).state == emu::TxnState::kPrepare;
  }

  std::vector<emu::LoadRecord> LoadsWithLabel(const std::string& label) {
    std::vector<emu::LoadRecord> out;
    for (emu::LoadRecord& r : emulator_->Loads()) {
      if (r.label == label) out.push_back(std::move(r));
    }
    return out;
  }

  std::unique_ptr<emu::StarRocksEmulator> emulator_;
  StreamLoadOptions options_;
  Results results_;
  std::unique_ptr<LoadDispatcher> dispatcher_;
};

TEST_F(LoadDispatcherTest, ManyConcurrentLoadsCompleteWithExactRowCounts) {
  constexpr int kLoads = 40;
  std::vector<std::string> bodies;
  int64_t expected_rows = 0;
  for (int i = 0; i < kLoads; ++i) {
    bodies.push_back(Rows(i * 100, 1 + i % 7));
    expected_rows += 1 + i % 7;
  }
  std::vector<uint64_t> ids;
  for (int i = 0; i < kLoads; ++i) {
    std::string label = absl::StrCat("many", i);
    ids.push_back(dispatcher_->Submit(&options_, Request(label, bodies[i]), results_.For(label)));
  }
  for (uint64_t id : ids) EXPECT_NE(id, 0u);
  EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()).size(), ids.size());
  ASSERT_TRUE(results_.WaitFor(kLoads));
  for (int i = 0; i < kLoads; ++i) {
    LoadResult r = results_.Get(absl::StrCat("many", i));
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.label_polls, 0);
    EXPECT_EQ(r.bytes_sent, static_cast<int64_t>(bodies[i].size()));  // Sent once (Expect).
    EXPECT_GT(r.latency, absl::ZeroDuration());
  }
  EXPECT_EQ(RowCount(), expected_rows);
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
}

TEST_F(LoadDispatcherTest, RetriesUnderInjectedFaultsSucceedOnce) {
  AddFault(R"({"action":"fail","preset":"too_many_versions","count":3,"label":"retry1"})");
  AddFault(R"({"action":"drop","phase":"after_apply","count":1,"label":"retry2"})");
  dispatcher_->Submit(&options_, Request("retry1", kEvents), results_.For("retry1"));
  dispatcher_->Submit(&options_, Request("retry2", kEvents), results_.For("retry2"));
  ASSERT_TRUE(results_.WaitFor(2));
  LoadResult r1 = results_.Get("retry1");
  EXPECT_TRUE(r1.status.ok()) << r1.status;
  EXPECT_EQ(r1.attempts, 4);
  LoadResult r2 = results_.Get("retry2");
  EXPECT_TRUE(r2.status.ok()) << r2.status;
  EXPECT_EQ(r2.attempts, 2);  // Dropped after apply, then Label Already Exists/FINISHED.
  EXPECT_EQ(RowCount(), 2 * kEventRows);  // Each applied exactly once.
  EXPECT_EQ(LoadsWithLabel("retry1").back().status, "Success");
  EXPECT_EQ(LoadsWithLabel("retry2").back().status, "Label Already Exists");
}

TEST_F(LoadDispatcherTest, RunningLabelIsPolledUntilVisible) {
  ASSERT_TRUE(emulator_
                  ->SetLabelState(R"({"db":"shop","label":"run1","state":"PREPARE",
                                      "duration_ms":300,"then":"VISIBLE"})")
                  .ok());
  dispatcher_->Submit(&options_, Request("run1", kEvents), results_.For("run1"));
  ASSERT_TRUE(results_.WaitFor(1));
  LoadResult r = results_.Get("run1");
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GE(r.label_polls, 2);
  EXPECT_EQ(RowCount(), 0);  // The other (forced) attempt owns the label.
}

TEST_F(LoadDispatcherTest, PermanentAndInvalidLoadsReachTheCallback) {
  AddFault(R"({"action":"fail","preset":"access_denied","count":-1,"label":"denied"})");
  dispatcher_->Submit(&options_, Request("denied", kEvents), results_.For("denied"));
  dispatcher_->Submit(&options_, Request("nf", kEvents, "missing"), results_.For("nf"));
  dispatcher_->Submit(&options_, Request("", kEvents), results_.For("nolabel"));
  dispatcher_->Submit(nullptr, Request("noopts", kEvents), results_.For("noopts"));
  StreamLoadOptions bad = options_;
  bad.fe_url = "http://user:pw@127.0.0.1:1";  // Credentials in the URL.
  dispatcher_->Submit(&bad, Request("badopts", kEvents), results_.For("badopts"));
  ASSERT_TRUE(results_.WaitFor(5));
  EXPECT_EQ(results_.Get("badopts").status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results_.Get("badopts").attempts, 0);
  LoadResult denied = results_.Get("denied");
  EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied) << denied.status;
  EXPECT_THAT(std::string(denied.status.message()),
              HasSubstr("Stream Load into shop.events (label denied): "));
  EXPECT_EQ(denied.attempts, 1);
  LoadResult nf = results_.Get("nf");
  EXPECT_EQ(nf.status.code(), absl::StatusCode::kNotFound) << nf.status;
  EXPECT_EQ(nf.attempts, 1);
  LoadResult nolabel = results_.Get("nolabel");
  EXPECT_EQ(nolabel.status.code(), absl::StatusCode::kInvalidArgument) << nolabel.status;
  EXPECT_EQ(nolabel.attempts, 0);
  EXPECT_EQ(results_.Get("noopts").status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RowCount(), 0);
}

TEST_F(LoadDispatcherTest, UnreachableSinkDoesNotDelayOthers) {
  BlackHole hole;
  StreamLoadOptions hung = Options(hole.url());
  hung.request_timeout = milliseconds(120000);
  hung.expect_100_timeout = milliseconds(60000);
  std::vector<uint64_t> hung_ids;
  for (int i = 0; i < 4; ++i) {
    std::string label = absl::StrCat("hung", i);
    hung_ids.push_back(dispatcher_->Submit(&hung, Request(label, kEvents), results_.For(label)));
  }
  constexpr int kHealthy = 10;
  for (int i = 0; i < kHealthy; ++i) {
    std::string label = absl::StrCat("ok", i);
    dispatcher_->Submit(&options_, Request(label, kEvents), results_.For(label));
  }
  ASSERT_TRUE(results_.WaitFor(kHealthy));
  for (int i = 0; i < kHealthy; ++i) {
    EXPECT_TRUE(results_.Get(absl::StrCat("ok", i)).status.ok());
  }
  EXPECT_EQ(RowCount(), kHealthy * kEventRows);
  // The hung loads are still pending, not failed.
  EXPECT_EQ(dispatcher_->in_flight(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(results_.Has(absl::StrCat("hung", i)));
  for (uint64_t id : hung_ids) dispatcher_->Cancel(id);
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
  EXPECT_EQ(results_.calls(), static_cast<size_t>(kHealthy));  // No callback for them.
}

TEST_F(LoadDispatcherTest, CancelOfAnInFlightLoadReturnsWithoutItsCallback) {
  AddFault(R"({"action":"delay","delay_ms":3000,"phase":"before_apply","label":"slow"})");
  uint64_t id = dispatcher_->Submit(&options_, Request("slow", kEvents), results_.For("slow"));
  // Until the BE holds the label (PREPARE): the PUT is in flight.
  Clock::time_point deadline = Clock::now() + milliseconds(10000);
  while (!LabelRunning("slow") && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(LabelRunning("slow"));
  Clock::time_point start = Clock::now();
  dispatcher_->Cancel(id);
  milliseconds elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_LT(elapsed.count(), 2000) << "Cancel() waited for the 3 s transfer";
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
  dispatcher_->Cancel(id);      // Again: a no-op.
  dispatcher_->Cancel(987654);  // Unknown id: a no-op.
  // The BE finishes its (now orphaned) load; the callback still never runs.
  dispatcher_->Submit(&options_, Request("after", kEvents), results_.For("after"));
  ASSERT_TRUE(results_.WaitFor(1));
  EXPECT_FALSE(results_.Has("slow"));
}

TEST_F(LoadDispatcherTest, ResendAfterCancelIsIdempotentThroughTheLabel) {
  AddFault(R"({"action":"delay","delay_ms":800,"phase":"before_apply","label":"dup1"})");
  uint64_t id = dispatcher_->Submit(&options_, Request("dup1", kEvents), results_.For("first"));
  Clock::time_point deadline = Clock::now() + milliseconds(10000);
  while (!LabelRunning("dup1") && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(LabelRunning("dup1"));
  dispatcher_->Cancel(id);
  // The cancelled PUT may still be applied by the BE; the resend must not
  // apply it a second time.
  dispatcher_->Submit(&options_, Request("dup1", kEvents), results_.For("second"));
  ASSERT_TRUE(results_.WaitFor(1));
  LoadResult r = results_.Get("second");
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_FALSE(results_.Has("first"));
  // Wait for the orphaned attempt to finish on the BE, then count.
  deadline = Clock::now() + milliseconds(10000);
  while (LoadsWithLabel("dup1").size() < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(RowCount(), kEventRows);
}

TEST_F(LoadDispatcherTest, CancelOfAQueuedLoadDropsItAndCancelWaitsForARunningCallback) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> callback_returned{false};
  uint64_t blocker =
      dispatcher_->Submit(&options_, Request("block", kEvents), [&, released](LoadResult) {
        entered.set_value();
        released.wait();  // Holds the dispatcher thread.
        callback_returned = true;
      });
  entered.get_future().wait();
  // The dispatcher is busy: this load stays queued and Cancel() drops it
  // without waiting for the thread.
  uint64_t queued =
      dispatcher_->Submit(&options_, Request("queued", kEvents), results_.For("queued"));
  EXPECT_EQ(dispatcher_->in_flight(), 1u);
  dispatcher_->Cancel(queued);
  EXPECT_EQ(dispatcher_->in_flight(), 0u);
  // Cancel() of the load whose callback runs returns after the callback.
  std::atomic<bool> saw_returned{false};
  std::thread canceller([&] {
    dispatcher_->Cancel(blocker);
    saw_returned = callback_returned.load();
  });
  std::this_thread::sleep_for(milliseconds(100));
  release.set_value();
  canceller.join();
  EXPECT_TRUE(saw_returned);
  // The callback may submit.
  dispatcher_->Submit(&options_, Request("chain", kEvents), [this](LoadResult r) {
    EXPECT_TRUE(r.status.ok());
    dispatcher_->Submit(&options_, Request("chained", kEvents), results_.For("chained"));
  });
  ASSERT_TRUE(results_.WaitFor(1));
  EXPECT_TRUE(results_.Get("chained").status.ok());
  EXPECT_FALSE(results_.Has("queued"));
  EXPECT_EQ(RowCount(), 3 * kEventRows);  // block, chain, chained.
}

TEST_F(LoadDispatcherTest, DestructionWithLoadsInFlightNeitherHangsNorCallsBack) {
  BlackHole hole;
  StreamLoadOptions hung = Options(hole.url());
  hung.request_timeout = milliseconds(120000);
  AddFault(R"({"action":"delay","delay_ms":2000,"phase":"before_apply","label":"slow"})");
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto count = [calls](LoadResult) { ++*calls; };
  dispatcher_->Submit(&hung, Request("hung", kEvents), count);
  dispatcher_->Submit(&options_, Request("slow", kEvents), count);
  AddFault(R"({"action":"fail","preset":"too_many_versions","count":-1,"label":"backoff"})");
  StreamLoadOptions slow_retry = options_;
  slow_retry.initial_backoff = milliseconds(60000);
  slow_retry.max_backoff = milliseconds(60000);
  dispatcher_->Submit(&slow_retry, Request("backoff", kEvents), count);
  std::this_thread::sleep_for(milliseconds(300));
  Clock::time_point start = Clock::now();
  dispatcher_.reset();
  milliseconds elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_LT(elapsed.count(), 5000);
  EXPECT_EQ(calls->load(), 0);
}

}  // namespace
}  // namespace dbmazz::sink
