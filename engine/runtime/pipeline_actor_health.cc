// PipelineActor: lag, slot health and warnings. The rest of the class is in
// pipeline_actor.cc.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/common/byte_size.h"
#include "engine/pipeline/dsn_info.h"
#include "engine/runtime/pipeline_actor.h"

namespace dbmazz::runtime {

namespace {

// Turns re-evaluate the warnings at most this often (slot samples always do).
constexpr absl::Duration kHealthPeriod = absl::Milliseconds(200);

bool Watched(PipelineState state) {
  return state != PipelineState::kCompleted && state != PipelineState::kDeleting;
}

}  // namespace

PipelineStatus PipelineActor::Status() const {
  absl::MutexLock lock(&mu_);
  PipelineStatus status = status_;
  status.lag = Watched(status_.state) ? lag_clock_.Lag(absl::Now()) : absl::ZeroDuration();
  return status;
}

std::string PipelineActor::Scrub(std::string message) const {
  message = pipeline::ScrubSecret(std::move(message), sink_password_);
  return pipeline::ScrubSecret(std::move(message), dsn_password_);
}

std::vector<PipelineAlerts::Change> PipelineActor::EvaluateHealth(absl::Time now) {
  status_.lag_bytes = 0;
  if (status_.slot.has_value() && status_.slot->server_wal_lsn != kInvalidLsn) {
    Lsn confirmed = std::max(status_.confirmed_lsn, status_.slot->confirmed_flush_lsn);
    if (confirmed != kInvalidLsn && status_.slot->server_wal_lsn > confirmed) {
      status_.lag_bytes = status_.slot->server_wal_lsn - confirmed;
    }
  }
  bool watched = Watched(status_.state);
  status_.lag = watched ? lag_clock_.Lag(now) : absl::ZeroDuration();
  std::vector<PipelineAlerts::Change> changes =
      alerts_.Evaluate({.slot = status_.slot, .lag = status_.lag, .active = watched}, now);
  status_.warnings = alerts_.warnings();  // messages carry the latest figures
  next_health_ = now + kHealthPeriod;
  return changes;
}

std::vector<PipelineAlerts::Change> PipelineActor::OnRunnerStats(const pipeline::RunnerStats& s) {
  absl::Time now = absl::Now();
  lag_clock_.OnStreaming(now, s.oldest_pending_commit_time, s.last_commit_time,
                         std::max(s.received_lsn, s.flush_lsn));
  if (now < next_health_) return {};
  return EvaluateHealth(now);
}

void PipelineActor::OnRunnerStopped() { lag_clock_.OnStopped(absl::Now()); }

void PipelineActor::RecordAlertChanges(const std::vector<PipelineAlerts::Change>& changes) {
  for (const PipelineAlerts::Change& c : changes) {
    std::string text =
        absl::StrCat(AsAbsl(WarningKindName(c.warning.kind)), ": ", c.warning.message);
    if (c.raised) {
      log_->warn("warning raised: {}", text);
      Event("warning_raised", text);
    } else {
      log_->info("warning cleared: {}", text);
      Event("warning_cleared", text);
    }
  }
}

void PipelineActor::OnSlotHealth(const SlotHealth& health) {
  bool lost = health.exists && health.wal_status == "lost";
  bool schedule = false;
  std::vector<PipelineAlerts::Change> changes;
  {
    absl::MutexLock lock(&mu_);
    status_.slot = health;
    if (health.exists) {
      lag_clock_.OnSample(health.sample_time, health.server_wal_lsn,
                          std::max(status_.confirmed_lsn, health.confirmed_flush_lsn));
    }
    changes = EvaluateHealth(absl::Now());
    log_->debug(
        "slot sample: exists {}, active {}, wal_status \"{}\", retained WAL {}, lag {} / {}",
        health.exists, health.active, health.wal_status, FormatBytes(health.retained_wal_bytes),
        FormatBytes(status_.lag_bytes),
        absl::FormatDuration(absl::Trunc(status_.lag, absl::Milliseconds(1))));
    if (lost && status_.state != PipelineState::kFailed) {
      commands_.slot_lost = true;
      schedule = true;
    }
  }
  RecordAlertChanges(changes);
  if (schedule) Schedule();
}

}  // namespace dbmazz::runtime
