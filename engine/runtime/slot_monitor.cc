#include "engine/runtime/slot_monitor.h"

#include <algorithm>

#include "engine/postgres/source_admin.h"

namespace dbmazz::runtime {

SlotMonitor::SlotMonitor(absl::Duration interval, absl::Duration timeout, TargetsFn targets,
                         DeliverFn deliver)
    : interval_(interval),
      timeout_(timeout),
      targets_(std::move(targets)),
      deliver_(std::move(deliver)) {
  thread_ = std::thread([this] { Run(); });
}

SlotMonitor::~SlotMonitor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SlotMonitor::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

void SlotMonitor::Run() {
  absl::Time next = absl::Now();
  absl::Time earliest = absl::InfinitePast();  // rate limit for pokes
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || poked_; };
      absl::Time until = next;
      while (!stopping_ && absl::Now() < until) {
        mu_.AwaitWithDeadline(absl::Condition(&wake), until);
        if (poked_) {
          // Sample soon, but not more than once a second.
          poked_ = false;
          until = std::min(until, std::max(earliest, absl::Now()));
        }
      }
      if (stopping_) return;
      poked_ = false;
    }
    SampleRound();
    earliest = absl::Now() + absl::Seconds(1);
    next = absl::Now() + interval_;
  }
}

void SlotMonitor::SampleRound() {
  absl::flat_hash_map<std::string, std::vector<const Target*>> by_dsn;
  std::vector<Target> targets = targets_();
  for (const Target& t : targets) by_dsn[t.dsn].push_back(&t);
  // Connections of sources no pipeline uses any more are closed.
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!by_dsn.contains(it->first)) {
      connections_.erase(it++);
    } else {
      ++it;
    }
  }
  for (const auto& [dsn, group] : by_dsn) {
    std::unique_ptr<postgres::PgConnection>& conn = connections_[dsn];
    if (conn == nullptr) {
      postgres::ConnectOptions options;
      options.connect_timeout = timeout_;
      options.application_name = "dbmazz slot monitor";
      auto made = postgres::PgConnection::Connect(dsn, options);
      if (!made.ok()) continue;  // the pipelines report their own connection errors
      conn = std::move(*made);
    }
    postgres::SourceAdmin admin(conn.get());
    auto slots = admin.ListSlots();
    auto wal = slots.ok() ? admin.CurrentWalLsn() : absl::StatusOr<Lsn>(slots.status());
    if (!slots.ok() || !wal.ok()) {
      connections_.erase(dsn);  // reconnect next round
      continue;
    }
    absl::flat_hash_map<std::string, const postgres::SlotInfo*> by_name;
    for (const postgres::SlotInfo& s : *slots) by_name[s.name] = &s;
    absl::Time now = absl::Now();
    for (const Target* t : group) {
      SlotHealth health;
      health.sample_time = now;
      health.server_wal_lsn = *wal;
      auto it = by_name.find(t->slot_name);
      if (it != by_name.end()) {
        const postgres::SlotInfo& info = *it->second;
        health.exists = true;
        health.active = info.active;
        health.wal_status = info.wal_status;
        health.restart_lsn = info.restart_lsn;
        health.confirmed_flush_lsn = info.confirmed_flush_lsn;
        if (info.restart_lsn != kInvalidLsn && *wal > info.restart_lsn) {
          health.retained_wal_bytes = *wal - info.restart_lsn;
        }
      }
      deliver_(t->key, health);
    }
  }
}

}  // namespace dbmazz::runtime
