#include "engine/runtime/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace dbmazz::runtime {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnItsThreads) {
  std::atomic<int> ran{0};
  absl::Mutex mu;
  std::set<std::thread::id> threads;
  {
    WorkerPool pool(3);
    EXPECT_EQ(pool.size(), 3);
    for (int i = 0; i < 1000; ++i) {
      pool.Submit([&] {
        ran.fetch_add(1);
        absl::MutexLock lock(&mu);
        threads.insert(std::this_thread::get_id());
      });
    }
  }  // the destructor runs what is queued
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_LE(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(WorkerPoolTest, ABlockedTaskDoesNotStopTheOthers) {
  WorkerPool pool(2);
  absl::Notification release;
  absl::Notification other_ran;
  pool.Submit([&] { release.WaitForNotification(); });
  pool.Submit([&] { other_ran.Notify(); });
  EXPECT_TRUE(other_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release.Notify();
}

TEST(WorkerPoolTest, DefaultsToTheHardwareThreads) {
  WorkerPool pool(0);
  EXPECT_EQ(pool.size(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace dbmazz::runtime
