// One thread that waits for every pipeline at once: the readiness of their
// replication sockets (epoll, one-shot) and their wake-up times (a timer
// heap). When either fires it calls the reactor's callback with the
// pipeline's key; the engine then schedules that pipeline on the worker pool.
//
//   Reactor reactor([&](uint64_t key) { engine.Schedule(key); });
//   reactor.Arm(key, fd, /*read=*/true, /*write=*/false, wake_at);
//
// An arming is one-shot: after it fires (socket ready or time reached) the
// pipeline must Arm() again to be woken again. Arm() replaces the previous
// arming of the same key.
//
// Ownership: owns its thread, the epoll and event descriptors, and a
// duplicate of every socket it watches (so a socket closed and its number
// reused elsewhere can never be confused with another pipeline's).
// Thread-safety: thread-safe. The callback runs on the reactor thread and
// must be short (queue work, don't do it).
#ifndef DBMAZZ_ENGINE_RUNTIME_REACTOR_H_
#define DBMAZZ_ENGINE_RUNTIME_REACTOR_H_

#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dbmazz::runtime {

class Reactor {
 public:
  using Callback = std::function<void(uint64_t key)>;

  // kInternal if epoll or eventfd cannot be created.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Reactor>> Create(Callback fire);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Wakes `key` when `fd` (if >= 0) is readable (`read`) or writable
  // (`write`), or at `wake_at`, whichever comes first.
  void Arm(uint64_t key, int fd, bool read, bool write, absl::Time wake_at);
  // Forgets `key`: its socket is no longer watched (it may be closed after
  // this returns) and its timer is dropped. A fire already under way may
  // still reach the callback once.
  void Disarm(uint64_t key);

  // Sockets currently registered (for tests and metrics).
  size_t watched() const;

 private:
  struct Entry {
    int fd = -1;      // the caller's descriptor number
    int dup_fd = -1;  // ours, registered in epoll
    uint64_t timer_generation = 0;
    absl::Time wake_at = absl::InfiniteFuture();
  };
  struct Timer {
    absl::Time at;
    uint64_t key;
    uint64_t generation;
    bool operator>(const Timer& other) const { return at > other.at; }
  };

  Reactor(Callback fire, int epoll_fd, int event_fd);
  void Run();
  void Wake();
  void Unwatch(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Callback fire_;
  const int epoll_fd_;
  const int event_fd_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_REACTOR_H_
