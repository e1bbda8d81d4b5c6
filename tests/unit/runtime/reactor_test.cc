#include "engine/runtime/reactor.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace dbmazz::runtime {
namespace {

class ReactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reactor = Reactor::Create([this](uint64_t key) {
      absl::MutexLock lock(&mu_);
      fired_.push_back(key);
    });
    ASSERT_TRUE(reactor.ok()) << reactor.status();
    reactor_ = std::move(*reactor);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
  }
  void TearDown() override {
    reactor_.reset();
    close(fds_[0]);
    close(fds_[1]);
  }

  // Waits up to `timeout` for `n` fires; returns them.
  std::vector<uint64_t> WaitFired(size_t n, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fired_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return fired_;
  }

  absl::Mutex mu_;
  std::vector<uint64_t> fired_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Reactor> reactor_;
  int fds_[2];
};

TEST_F(ReactorTest, FiresOnceWhenTheSocketIsReadable) {
  reactor_->Arm(7, fds_[0], /*read=*/true, /*write=*/false, absl::InfiniteFuture());
  EXPECT_TRUE(WaitFired(1, absl::Milliseconds(100)).empty());
  ASSERT_EQ(write(fds_[1], "x", 1), 1);
  EXPECT_EQ(WaitFired(1), std::vector<uint64_t>{7});
  // One-shot: still readable, but not re-armed, so no second fire.
  EXPECT_EQ(WaitFired(2, absl::Milliseconds(100)).size(), 1u);
  reactor_->Arm(7, fds_[0], true, false, absl::InfiniteFuture());
  EXPECT_EQ(WaitFired(2).size(), 2u);
}

TEST_F(ReactorTest, FiresAtTheWakeUpTimeAndOnlyTheLatestArming) {
  absl::Time start = absl::Now();
  reactor_->Arm(1, -1, false, false, start + absl::Milliseconds(50));
  reactor_->Arm(1, -1, false, false, start + absl::Milliseconds(150));  // replaces
  auto fired = WaitFired(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(WaitFired(2, absl::Milliseconds(200)).size(), 1u);
}

TEST_F(ReactorTest, DisarmForgetsSocketAndTimer) {
  reactor_->Arm(3, fds_[0], true, false, absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(reactor_->watched(), 1u);
  reactor_->Disarm(3);
  EXPECT_EQ(reactor_->watched(), 0u);
  ASSERT_EQ(write(fds_[1], "x", 1), 1);
  EXPECT_TRUE(WaitFired(1, absl::Milliseconds(200)).empty());
}

TEST_F(ReactorTest, ManyKeysFireIndependently) {
  for (uint64_t key = 100; key < 300; ++key) {
    reactor_->Arm(key, -1, false, false, absl::Now() + absl::Milliseconds(key % 20));
  }
  auto fired = WaitFired(200);
  EXPECT_EQ(fired.size(), 200u);
}

}  // namespace
}  // namespace dbmazz::runtime
