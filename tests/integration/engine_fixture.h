// A test fixture running an Engine on a real SQLite file against a fresh
// database of the shared PostgreSQL cluster, with the shop workload and its
// emulator: helpers to wait for states and look at slots and publications.
#ifndef DBMAZZ_TESTS_INTEGRATION_ENGINE_FIXTURE_H_
#define DBMAZZ_TESTS_INTEGRATION_ENGINE_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/source_admin.h"
#include "engine/runtime/engine.h"
#include "tests/integration/shop_workload.h"
#include "tests/support/pg_environment.h"

namespace dbmazz::runtime {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    n_ = counter.fetch_add(1);
    db_ = absl::StrCat("engine_", n_);
    absl::Status s = workload_.SetUp(&testing::PgEnvironment::cluster(), db_);
    ASSERT_TRUE(s.ok()) << s;
    char dir[] = "/tmp/dbmazz-engine-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_path_ = absl::StrCat(dir, "/state.db");
    OpenEngine();
  }

  void TearDown() override { engine_.reset(); }

  void OpenEngine(uint64_t max_buffered_bytes = 64 << 20) {
    engine_.reset();
    EngineOptions options = options_;
    options.max_buffered_bytes_per_pipeline = max_buffered_bytes;
    options.state_path = state_path_;
    options.worker_threads = 2;
    options.retry_initial = absl::Milliseconds(200);
    options.retry_max = absl::Seconds(2);
    options.connect_timeout = absl::Seconds(5);
    options.slot_sample_interval = slot_sample_interval_;
    options.drain_timeout = absl::Seconds(10);
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  pipeline::PipelineSpec Spec() { return Spec(workload_); }
  pipeline::PipelineSpec Spec(testing::ShopWorkload& workload) {
    pipeline::PipelineSpec spec = workload.Spec();
    spec.sink.max_retries = 2;
    spec.batching.max_rows = 200;
    spec.batching.max_latency = absl::Milliseconds(100);
    return spec;
  }

  // Waits until `done` (checked every 20 ms), at most `timeout`.
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(60)) {
    absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  PipelineState StateOf(const std::string& id) {
    auto status = engine_->Get(id);
    return status.ok() ? status->state : PipelineState::kUnspecified;
  }

  bool WaitForState(const std::string& id, PipelineState state,
                    absl::Duration timeout = absl::Seconds(60)) {
    return WaitFor([&] { return StateOf(id) == state; }, timeout);
  }

  std::string Describe(const std::string& id) {
    auto s = engine_->Get(id);
    if (!s.ok()) return s.status().ToString();
    return absl::StrCat(AsAbsl(PipelineStateName(s->state)), ": ", s->message,
                        " (last error: ", s->last_error, ")");
  }

  absl::StatusOr<std::optional<postgres::SlotInfo>> Slot(const std::string& name) {
    auto conn = postgres::PgConnection::Connect(testing::PgEnvironment::cluster().Dsn(db_), {});
    if (!conn.ok()) return conn.status();
    return postgres::SourceAdmin(conn->get()).GetSlot(name);
  }

  bool PublicationExists(const std::string& name) {
    auto rows = testing::PgEnvironment::cluster().Query(
        absl::StrCat("SELECT 1 FROM pg_publication WHERE pubname = '", name, "'"), db_);
    return rows.ok() && !rows->empty();
  }

  // Slots are cluster-wide: pipeline ids carry the test's number.
  std::string Id(std::string_view name) { return absl::StrCat(AsAbsl(name), "-", n_); }

  EngineOptions options_;  // the base of OpenEngine()'s options
  absl::Duration slot_sample_interval_ = absl::Seconds(1);
  int n_ = 0;
  std::string db_;
  std::string state_path_;
  testing::ShopWorkload workload_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_TESTS_INTEGRATION_ENGINE_FIXTURE_H_
