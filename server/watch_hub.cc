#include "server/watch_hub.h"

#include <algorithm>

namespace dbmazz::server {

WatchHub::WatchHub(absl::Duration period) : period_(period), thread_([this] { Run(); }) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Add(std::shared_ptr<Watch> watch) {
  absl::MutexLock lock(&mu_);
  watches_.push_back(std::move(watch));
}

void WatchHub::Remove(const Watch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [&](const std::shared_ptr<Watch>& w) { return w.get() == watch; }),
                 watches_.end());
}

void WatchHub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

size_t WatchHub::size() const {
  absl::MutexLock lock(&mu_);
  return watches_.size();
}

void WatchHub::Run() {
  while (true) {
    std::vector<std::shared_ptr<Watch>> snapshot;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), period_);
      if (stopping_) return;
      snapshot = watches_;
    }
    // Ticked without the lock: a watch may remove itself (or finish) inside.
    absl::Time now = absl::Now();
    for (const auto& watch : snapshot) watch->Tick(now);
  }
}

}  // namespace dbmazz::server
