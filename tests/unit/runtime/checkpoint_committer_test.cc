#include "engine/runtime/checkpoint_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace dbmazz::runtime {
namespace {

class CheckpointCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = state::StateStore::OpenInMemory();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    for (int i = 0; i < kPipelines; ++i) {
      state::PipelineRecord record;
      record.pipeline_id = absl::StrCat("p", i);
      record.spec = "{}";
      record.slot_name = absl::StrCat("s", i);
      record.publication_name = "pub";
      ASSERT_TRUE(store_->CreatePipeline(record).ok());
    }
  }
  static constexpr int kPipelines = 8;
  std::unique_ptr<state::StateStore> store_;
};

TEST_F(CheckpointCommitterTest, GroupsConcurrentCheckpointsAndReportsEach) {
  constexpr int kPerPipeline = 200;
  std::atomic<int> ok{0};
  uint64_t commits = 0;
  {
    CheckpointCommitter committer(store_.get());
    std::vector<std::thread> threads;
    for (int p = 0; p < kPipelines; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 1; i <= kPerPipeline; ++i) {
          committer.Submit(absl::StrCat("p", p), static_cast<Lsn>(i * 100),
                           [&](absl::Status s) { ok.fetch_add(s.ok() ? 1 : 0); });
        }
      });
    }
    for (auto& t : threads) t.join();
    // The destructor commits what is still pending.
    while (ok.load() < kPipelines * kPerPipeline) std::this_thread::yield();
    commits = committer.commits();
  }
  EXPECT_EQ(ok.load(), kPipelines * kPerPipeline);
  EXPECT_LT(commits, static_cast<uint64_t>(kPipelines * kPerPipeline));  // grouped
  for (int p = 0; p < kPipelines; ++p) {
    auto lsn = store_->LoadCheckpoint(absl::StrCat("p", p));
    ASSERT_TRUE(lsn.ok());
    EXPECT_EQ(*lsn, static_cast<Lsn>(kPerPipeline * 100));
  }
}

TEST_F(CheckpointCommitterTest, ADeletedPipelineDoesNotFailTheOthers) {
  ASSERT_TRUE(store_->DeletePipeline("p3").ok());
  CheckpointCommitter committer(store_.get());
  std::vector<absl::Status> results(kPipelines);
  std::atomic<int> done{0};
  for (int p = 0; p < kPipelines; ++p) {
    committer.Submit(absl::StrCat("p", p), 500, [&, p](absl::Status s) {
      results[p] = s;
      done.fetch_add(1);
    });
  }
  while (done.load() < kPipelines) std::this_thread::yield();
  for (int p = 0; p < kPipelines; ++p) {
    if (p == 3) {
      EXPECT_EQ(results[p].code(), absl::StatusCode::kNotFound);
    } else {
      EXPECT_TRUE(results[p].ok()) << p << ": " << results[p];
      EXPECT_EQ(*store_->LoadCheckpoint(absl::StrCat("p", p)), 500u);
    }
  }
}

}  // namespace
}  // namespace dbmazz::runtime
