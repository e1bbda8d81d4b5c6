// Samples the replication slots of every pipeline from pg_replication_slots
// on its own thread and its own (non-replication) connections: one
// connection and one query per distinct source DSN per round, whatever the
// number of pipelines. A slow or unreachable source delays only the monitor
// (every call has a timeout), never a pipeline.
//
// Ownership: owns its thread and its connections.
// Thread-safety: thread-safe. `targets` and `deliver` are called on the
// monitor thread and must not call back into the monitor.
#ifndef DBMAZZ_ENGINE_RUNTIME_SLOT_MONITOR_H_
#define DBMAZZ_ENGINE_RUNTIME_SLOT_MONITOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/postgres/pg_connection.h"
#include "engine/runtime/pipeline_status.h"

namespace dbmazz::runtime {

class SlotMonitor {
 public:
  struct Target {
    uint64_t key;  // the pipeline's
    std::string dsn;
    std::string slot_name;
  };
  using TargetsFn = std::function<std::vector<Target>()>;
  // `health.sample_time` is set; a slot missing from the server has
  // exists = false. Nothing is delivered for a source that could not be read.
  using DeliverFn = std::function<void(uint64_t key, const SlotHealth& health)>;

  SlotMonitor(absl::Duration interval, absl::Duration timeout, TargetsFn targets,
              DeliverFn deliver);
  ~SlotMonitor();  // stops and joins (at most one query timeout)
  SlotMonitor(const SlotMonitor&) = delete;
  SlotMonitor& operator=(const SlotMonitor&) = delete;

  // Samples again soon (at most once a second), e.g. after a pause.
  void Poke();

 private:
  void Run();
  void SampleRound();

  const absl::Duration interval_;
  const absl::Duration timeout_;
  TargetsFn targets_;
  DeliverFn deliver_;
  // Monitor-thread only: a connection per DSN, dropped on error.
  absl::flat_hash_map<std::string, std::unique_ptr<postgres::PgConnection>> connections_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_SLOT_MONITOR_H_
