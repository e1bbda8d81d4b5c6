// One ticker thread for every WatchPipeline stream: every `period` (100 ms)
// it calls Tick() on each registered watch, which polls the engine (a quick,
// in-memory Get) and writes when something changed or its interval passed.
// Bounded: one thread, however many watches.
//
// Ownership: holds shared references to the registered watches until they
// remove themselves. Thread-safety: thread-safe. Stop() (or the destructor)
// joins the thread; watches must not be ticked after the engine is gone, so
// stop the hub before destroying the engine.
#ifndef DBMAZZ_SERVER_WATCH_HUB_H_
#define DBMAZZ_SERVER_WATCH_HUB_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dbmazz::server {

class WatchHub {
 public:
  class Watch {
   public:
    virtual ~Watch() = default;
    virtual void Tick(absl::Time now) = 0;
  };

  explicit WatchHub(absl::Duration period = absl::Milliseconds(100));
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  void Add(std::shared_ptr<Watch> watch);
  void Remove(const Watch* watch);
  void Stop();
  size_t size() const;

 private:
  void Run();

  const absl::Duration period_;
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Watch>> watches_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dbmazz::server

#endif  // DBMAZZ_SERVER_WATCH_HUB_H_
