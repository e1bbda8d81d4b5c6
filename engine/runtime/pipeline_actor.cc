#include "engine/runtime/pipeline_actor.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/common/log_control.h"
#include "engine/pipeline/dsn_info.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"
#include "engine/runtime/source_cleanup.h"

namespace dbmazz::runtime {

PipelineActor::PipelineActor(uint64_t key, state::PipelineRecord record,
                             pipeline::PipelineSpec spec, EngineContext* context)
    : key_(key),
      id_(record.pipeline_id),
      dsn_(spec.source.dsn),
      slot_name_(spec.source.slot_name),
      context_(context),
      log_(logging::PipelineLogger(record.pipeline_id)),
      spec_(std::move(spec)),
      backoff_(context->retry_initial, context->retry_max, std::hash<std::string>{}(id_) ^ key),
      lag_clock_(absl::Now()),
      alerts_(spec_.alerts),
      dsn_password_(pipeline::DsnPassword(spec_.source.dsn)),
      sink_password_(spec_.sink.password) {
  absl::MutexLock lock(&mu_);
  commands_.desired = record.desired_state;
  status_.pipeline_id = id_;
  status_.desired_state = record.desired_state;
  status_.create_time = record.create_time;
  status_.update_time = record.update_time;
  status_.state = record.desired_state == state::DesiredState::kPaused ? PipelineState::kPaused
                                                                       : PipelineState::kCreating;
  status_.state_time = absl::Now();
  // The published spec never carries a password.
  auto redacted = pipeline::SpecFromJson(pipeline::SpecToJson(spec_, /*redact=*/true));
  if (redacted.ok()) status_.spec = std::move(*redacted);
  auto checkpoint = context_->store->LoadCheckpoint(id_);
  if (checkpoint.ok()) status_.checkpoint_lsn = *checkpoint;
  if (spec_.snapshot_mode != pipeline::SnapshotMode::kNever) {
    auto snapshot = context_->store->GetSnapshot(id_);
    auto phase = snapshot.ok() && snapshot->has_value()
                     ? std::optional<state::SnapshotPhase>((*snapshot)->phase)
                     : std::nullopt;
    bool done = phase.has_value() && *phase != state::SnapshotPhase::kCopying;
    snapshot_needed_ = !done;
    catch_up_ = spec_.snapshot_mode == pipeline::SnapshotMode::kInitialOnly &&
                phase == state::SnapshotPhase::kDone;
    if (phase == state::SnapshotPhase::kCompleted) {
      phase_ = Phase::kCompleted;
      status_.state = PipelineState::kCompleted;
      status_.message = "initial copy complete (snapshot_mode initial_only)";
    }
    status_.snapshot = SnapshotStatus{};
    status_.snapshot->done = done;
    if (snapshot.ok() && snapshot->has_value()) status_.snapshot->epoch = (*snapshot)->epoch;
  }
}

PipelineActor::~PipelineActor() {
  StopRunner();
  logging::DropLogger(log_);
}

void PipelineActor::Schedule() {
  if (context_->stopping.load()) return;
  std::shared_ptr<PipelineActor> self = weak_from_this().lock();
  if (self == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    if (running_ || queued_) {
      again_ = true;
      return;
    }
    queued_ = true;
  }
  context_->pool->Submit([self = std::move(self)] { self->RunTurn(); });
}

void PipelineActor::RunTurn() {
  {
    absl::MutexLock lock(&mu_);
    queued_ = false;
    running_ = true;
    again_ = false;
  }
  if (!context_->stopping.load()) Turn(absl::Now());
  bool again;
  {
    absl::MutexLock lock(&mu_);
    running_ = false;
    again = again_;
    again_ = false;
    // A shutdown is complete once nothing runs or waits for a job.
    if (commands_.shutdown &&
        (phase_ == Phase::kIdle || phase_ == Phase::kWaitRetry || phase_ == Phase::kFailed ||
         phase_ == Phase::kDone || phase_ == Phase::kCompleted)) {
      shutdown_complete_ = true;
    }
  }
  if (again) Schedule();
}

void PipelineActor::RequestDelete(bool keep_slot) {
  {
    absl::MutexLock lock(&mu_);
    commands_.delete_requested = true;
    commands_.keep_slot = keep_slot;
    ++commands_.delete_seq;
    status_.state = PipelineState::kDeleting;
    status_.message = "deleting";
  }
  Schedule();
}

void PipelineActor::Abandon() {
  StopRunner();
  snapshot_.reset();
  absl::MutexLock lock(&mu_);
  jobs_.started = absl::CancelledError("engine stopped");
}

void PipelineActor::SetDesiredState(state::DesiredState desired) {
  {
    absl::MutexLock lock(&mu_);
    commands_.desired = desired;
    status_.desired_state = desired;
    if (desired == state::DesiredState::kRunning) commands_.retry_now = true;
  }
  Schedule();
}

void PipelineActor::RequestShutdown() {
  {
    absl::MutexLock lock(&mu_);
    commands_.shutdown = true;
  }
  Schedule();
}

bool PipelineActor::ShutdownComplete() const {
  absl::MutexLock lock(&mu_);
  return shutdown_complete_;
}

void PipelineActor::Publish(PipelineState state, std::string message) {
  // The one place a message reaches the status (RPCs, metrics) and the state
  // log line: never with a password in it.
  message = Scrub(std::move(message));
  std::string change;
  {
    absl::MutexLock lock(&mu_);
    if (status_.state != state) {
      status_.state_time = absl::Now();
      change = absl::StrCat(AsAbsl(PipelineStateName(status_.state)), " -> ",
                            AsAbsl(PipelineStateName(state)), ": ", message);
    }
    status_.state = state;
    status_.message = std::move(message);
    status_.attempt = attempt_;
    status_.next_attempt_time =
        phase_ == Phase::kWaitRetry ? next_attempt_ : absl::InfiniteFuture();
  }
  if (!change.empty()) {
    log_->debug("state {}", change);
    Event("state", change);
  }
}

void PipelineActor::PublishStats() {
  if (runner_ == nullptr) return;
  pipeline::RunnerStats s = runner_->stats();
  absl::ReleasableMutexLock lock(&mu_);
  status_.checkpoint_lsn = runner_->checkpoint();
  status_.confirmed_lsn = s.flush_lsn;
  status_.received_lsn = std::max(status_.received_lsn, s.received_lsn);
  // Counters accumulate across runner restarts: add this runner's growth.
  status_.transactions = base_.transactions + s.sink.transactions;
  status_.rows_inserted = base_.rows_inserted + s.sink.rows_inserted;
  status_.rows_updated = base_.rows_updated + s.sink.rows_updated;
  status_.rows_deleted = base_.rows_deleted + s.sink.rows_deleted;
  status_.rows_loaded = base_.rows_loaded + s.sink.rows_loaded;
  status_.batches_loaded = base_.batches_loaded + s.sink.batches_loaded;
  status_.bytes_received = base_.bytes_received + s.bytes_received;
  status_.load_attempts = base_.load_attempts + s.load_attempts;
  status_.load_failures = base_.load_failures + s.load_failures;
  status_.loads_completed = base_.loads_completed + s.loads_completed;
  status_.load_time = base_.load_time + s.load_time;
  status_.load_seconds = base_.load_seconds;
  status_.load_seconds.Merge(s.load_seconds);
  status_.batch_rows = base_.batch_rows;
  status_.batch_rows.Merge(s.sink.batch_rows);
  for (size_t i = 0; i < s.load_requests.size(); ++i) {
    status_.load_requests[i] = base_.load_requests[i] + s.load_requests[i];
  }
  status_.label_polls = base_.label_polls + s.label_polls;
  // A new runner has loaded nothing yet: keep the last run's commit time.
  if (s.durable_commit_time != absl::InfinitePast()) {
    status_.last_commit_time = s.durable_commit_time;
  }
  status_.buffered_bytes = s.buffered_bytes;
  status_.backpressured = s.backpressured;
  std::vector<PipelineAlerts::Change> changes = OnRunnerStats(s);
  lock.Release();
  RecordAlertChanges(changes);
}

void PipelineActor::Event(std::string_view kind, std::string_view message) {
  absl::Status s = context_->store->AppendEvent(id_, kind, Scrub(std::string(message)));
  if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
    log_->warn("could not record event {}: {}", kind, s.ToString());
  }
}

pipeline::RunnerConfig PipelineActor::MakeRunnerConfig() {
  pipeline::RunnerConfig c;
  c.pipeline_id = id_;
  c.dsn = spec_.source.dsn;
  c.slot_name = spec_.source.slot_name;
  c.publication_name = spec_.source.publication_name;
  for (const pipeline::TableSpec& t : spec_.tables) c.tables.push_back(t.source);
  c.sink = pipeline::ToSinkOptions(spec_);
  c.sink.max_buffered_bytes = context_->max_buffered_bytes;
  c.stream_load = pipeline::ToStreamLoadOptions(spec_);
  c.connect_timeout = context_->connect_timeout;
  c.dispatcher = context_->dispatcher;
  if (context_->committer != nullptr) {
    c.commit_checkpoint = [committer = context_->committer, id = id_](
                              Lsn lsn, absl::AnyInvocable<void(absl::Status)> done) {
      committer->Submit(id, lsn, std::move(done));
    };
  }
  // The runner is destroyed (its loads cancelled) before this actor.
  c.wake = [this] { Schedule(); };
  return c;
}

void PipelineActor::RunJob(absl::AnyInvocable<void()> job) {
  context_->admin_pool->Submit(
      [self = shared_from_this(), job = std::move(job)]() mutable { job(); });
}

void PipelineActor::StopRunner() {
  if (runner_ == nullptr) return;
  context_->reactor->Disarm(key_);
  PublishStats();
  {
    // Keep the counters of this run for the next one.
    absl::MutexLock lock(&mu_);
    base_ = status_;
    OnRunnerStopped();
  }
  runner_.reset();
  running_since_ = absl::InfiniteFuture();
}

void PipelineActor::Turn(absl::Time now) {
  Commands c;
  {
    absl::MutexLock lock(&mu_);
    c = commands_;
    commands_.retry_now = false;
    if (c.slot_lost) commands_.slot_lost = false;
  }
  if (phase_ == Phase::kDone) return;
  if (!TakeJobResults()) return;
  // A snapshot copy stops (its jobs end) before anything else is done.
  if (snapshot_ != nullptr && (c.delete_requested || c.shutdown || c.slot_lost ||
                               c.desired == state::DesiredState::kPaused)) {
    if (!StopSnapshot(now)) return;
  }
  if (c.slot_lost && phase_ != Phase::kFailed && phase_ != Phase::kDeleting &&
      !c.delete_requested) {
    Fail(absl::FailedPreconditionError(absl::StrCat(
             "replication slot \"", spec_.source.slot_name,
             "\" is lost (wal_status = lost): PostgreSQL removed WAL the pipeline still needed "
             "(max_slot_wal_keep_size). Changes since the checkpoint cannot be streamed; delete "
             "the pipeline and create it again")),
         now);
    return;
  }
  if (c.delete_requested && phase_ != Phase::kDeleting) {
    StopRunner();  // no drain: the data is being deleted
    StartDeleteJob(c);
    return;
  }
  switch (phase_) {
    case Phase::kSnapshotting:
      TurnSnapshot(c, now);
      return;
    case Phase::kRunning:
    case Phase::kDraining:
      TurnRunning(c, now);
      return;
    case Phase::kWaitRetry:
      if (c.shutdown) return;
      if (c.desired == state::DesiredState::kRunning && !c.retry_now && now < next_attempt_) {
        context_->reactor->Arm(key_, -1, false, false, next_attempt_);
        return;
      }
      if (c.retry_now) attempt_ = 0;  // an explicit resume starts afresh
      phase_ = Phase::kIdle;
      break;
    case Phase::kFailed:
      if (!c.retry_now || c.desired != state::DesiredState::kRunning || c.shutdown) return;
      attempt_ = 0;
      phase_ = Phase::kIdle;
      break;
    default:
      break;
  }
  if (phase_ == Phase::kIdle) TurnIdle(c);
}

bool PipelineActor::TakeJobResults() {
  if (phase_ == Phase::kSnapshotStarting) return TakeSnapshotStart();
  if (phase_ == Phase::kCompleting) return TakeCompleteResult();
  if (phase_ == Phase::kStarting) {
    absl::StatusOr<std::unique_ptr<pipeline::PipelineRunner>> started;
    {
      absl::MutexLock lock(&mu_);
      if (!jobs_.start_done) return false;
      jobs_.start_done = false;
      started = std::move(jobs_.started);
      stop_at_ = jobs_.stop_at;
    }
    if (!started.ok()) {
      phase_ = Phase::kIdle;
      Fail(started.status(), absl::Now());
      return false;
    }
    runner_ = std::move(*started);
    phase_ = Phase::kRunning;
    running_since_ = absl::Now();
    std::string message = absl::StrCat("streaming from ", FormatLsn(runner_->checkpoint()));
    log_->info("{}", message);
    Event(ever_started_ ? "resumed" : "started", message);
    ever_started_ = true;
    Publish(PipelineState::kStreaming, "streaming");
    return true;  // the turn goes on: pause, delete or stream
  }
  if (phase_ == Phase::kClosing) {
    absl::Status closed;
    {
      absl::MutexLock lock(&mu_);
      if (!jobs_.close_done) return false;
      jobs_.close_done = false;
      closed = jobs_.closed;
    }
    if (!closed.ok()) log_->warn("closing the replication session: {}", closed.ToString());
    std::string note = drain_complete_
                           ? absl::StrCat("checkpoint ", FormatLsn(Status().checkpoint_lsn))
                           : "drain timed out; unloaded rows will be read again";
    if (completing_ && !draining_for_shutdown_) {
      completing_ = false;
      complete_pending_ = true;
      StartCompleteJob();
      return false;
    }
    if (draining_for_shutdown_) {
      log_->info("stopped ({})", note);
      phase_ = Phase::kDone;
      return false;
    }
    phase_ = Phase::kIdle;
    attempt_ = 0;
    log_->info("paused ({})", note);
    Event("paused", note);
    Publish(PipelineState::kPaused, "paused");
    if (context_->on_paused) context_->on_paused();  // show the retained WAL soon
    return true;                                     // resumed meanwhile? TurnIdle looks
  }
  if (phase_ == Phase::kDeleting) {
    absl::Status deleted;
    bool abandoned = false;
    {
      absl::MutexLock lock(&mu_);
      if (!jobs_.delete_done) return false;
      jobs_.delete_done = false;
      deleted = jobs_.deleted;
      // A newer request (e.g. with keep_slot) is served by a new job.
      if (!deleted.ok() && commands_.delete_seq == delete_job_seq_) {
        commands_.delete_requested = false;
        abandoned = true;
      }
    }
    // The pipeline is kept: a restart must not take the delete up again.
    if (abandoned) {
      if (absl::Status s = context_->store->SetDeleteIntent(id_, state::DeleteIntent::kNone);
          !s.ok()) {
        log_->warn("recording that the delete was abandoned: {}", s.ToString());
      }
    }
    if (deleted.ok()) {
      context_->reactor->Disarm(key_);
      log_->info("deleted");
      phase_ = Phase::kDone;
      Publish(PipelineState::kDeleting, "deleted");
      if (context_->on_deleted) context_->on_deleted(id_);
      return false;
    }
    std::string message = Scrub(
        absl::StrCat("delete failed, the pipeline is kept: ", deleted.message(),
                     ". Retry the delete, or delete with keep_slot and drop the slot yourself"));
    phase_ = Phase::kFailed;
    log_->error("{}", message);
    Event("failed", message);
    Publish(PipelineState::kFailed, message);
    return true;  // a newer delete request may be waiting
  }
  return true;
}

void PipelineActor::TurnIdle(const Commands& c) {
  if (c.shutdown) return;
  if (c.desired == state::DesiredState::kPaused) {
    if (Status().state != PipelineState::kPaused) {
      attempt_ = 0;
      Publish(PipelineState::kPaused, "paused");
    }
    return;
  }
  if (complete_pending_) {
    StartCompleteJob();
  } else if (snapshot_needed_) {
    StartSnapshotJob();
  } else {
    StartRunnerJob();
  }
}

void PipelineActor::StartRunnerJob() {
  Publish(attempt_ > 0 ? PipelineState::kRetrying : PipelineState::kCreating,
          ever_started_ ? "connecting" : "preparing the source and connecting");
  phase_ = Phase::kStarting;
  RunJob([this, config = MakeRunnerConfig(), catch_up = catch_up_]() mutable {
    Lsn stop_at = kInvalidLsn;
    absl::StatusOr<std::unique_ptr<pipeline::PipelineRunner>> started;
    if (catch_up) {
      postgres::ConnectOptions options;
      options.connect_timeout = context_->connect_timeout;
      auto conn = postgres::PgConnection::Connect(config.dsn, options);
      auto lsn = conn.ok() ? postgres::SourceAdmin(conn->get()).CurrentWalLsn()
                           : absl::StatusOr<Lsn>(conn.status());
      if (lsn.ok()) {
        stop_at = *lsn;
      } else {
        started = lsn.status();
      }
    }
    if (!catch_up || stop_at != kInvalidLsn) {
      started = pipeline::PipelineRunner::Start(std::move(config), context_->store);
    }
    {
      absl::MutexLock lock(&mu_);
      jobs_.started = std::move(started);
      jobs_.stop_at = stop_at;
      jobs_.start_done = true;
    }
    Schedule();
  });
}

void PipelineActor::StartCloseJob() {
  context_->reactor->Disarm(key_);
  PublishStats();
  {
    absl::MutexLock lock(&mu_);
    base_ = status_;
    OnRunnerStopped();
  }
  phase_ = Phase::kClosing;
  running_since_ = absl::InfiniteFuture();
  RunJob([this, runner = std::move(runner_)]() mutable {
    absl::Status closed = runner->Close();
    runner.reset();
    {
      absl::MutexLock lock(&mu_);
      jobs_.closed = closed;
      jobs_.close_done = true;
    }
    Schedule();
  });
}

void PipelineActor::StartDeleteJob(const Commands& c) {
  phase_ = Phase::kDeleting;
  delete_job_seq_ = c.delete_seq;
  Publish(PipelineState::kDeleting, "dropping the slot and publication");
  RunJob([this, keep_slot = c.keep_slot]() {
    absl::Status dropped;
    // The runner records in the store whether it created the slot/publication.
    auto record = context_->store->GetPipeline(id_);
    if (!record.ok()) dropped = record.status();
    if (dropped.ok()) {
      dropped = DropSourceObjects(
          SourceObjects{spec_.source.dsn, spec_.source.slot_name, spec_.source.publication_name,
                        record->slot_created_by_us && !keep_slot,
                        record->publication_created_by_us && !keep_slot},
          context_->connect_timeout);
    }
    if (dropped.ok()) dropped = context_->store->DeletePipeline(id_);
    {
      absl::MutexLock lock(&mu_);
      jobs_.deleted = dropped;
      jobs_.delete_done = true;
    }
    Schedule();
  });
}

void PipelineActor::TurnRunning(const Commands& c, absl::Time now) {
  bool pause = c.desired == state::DesiredState::kPaused;
  if (phase_ == Phase::kRunning && (c.shutdown || pause)) {
    runner_->BeginDrain();
    phase_ = Phase::kDraining;
    draining_for_shutdown_ = c.shutdown;
    drain_deadline_ = now + context_->drain_timeout;
    Publish(PipelineState::kStreaming, c.shutdown ? "stopping" : "pausing");
  } else if (phase_ == Phase::kDraining && !c.shutdown && !pause && !completing_) {
    runner_->EndDrain();  // resumed while pausing
    phase_ = Phase::kRunning;
    Publish(PipelineState::kStreaming, "streaming");
  }
  auto wants = runner_->Advance(now);
  if (!wants.ok()) {
    Fail(wants.status(), now);
    return;
  }
  PublishStats();
  if (attempt_ > 0 && now - running_since_ >= context_->retry_reset_after) attempt_ = 0;
  if (phase_ == Phase::kRunning && stop_at_ != kInvalidLsn &&
      runner_->stats().flush_lsn >= stop_at_) {
    // initial_only caught up with the end of the copy: finish.
    runner_->BeginDrain();
    phase_ = Phase::kDraining;
    completing_ = true;
    draining_for_shutdown_ = false;
    drain_deadline_ = now + context_->drain_timeout;
  }
  if (phase_ == Phase::kDraining) {
    drain_complete_ = runner_->Drained();
    if (drain_complete_ || now >= drain_deadline_) {
      StartCloseJob();
      return;
    }
  }
  if (wants->again) {
    Schedule();
    return;
  }
  absl::Time wake_at = wants->wake_at;
  if (phase_ == Phase::kDraining) wake_at = std::min(wake_at, drain_deadline_);
  bool read = wants->read;
  if (wants->coalesce) {
    read = false;  // look again shortly rather than on the next byte
    wake_at = std::min(wake_at, now + absl::Microseconds(500));
  }
  // With no interest the socket leaves the epoll set (a dead connection
  // would otherwise report HUP over and over).
  int fd = read || wants->write ? runner_->socket() : -1;
  context_->reactor->Arm(key_, fd, read, wants->write, wake_at);
}

void PipelineActor::Fail(const absl::Status& error, absl::Time now) {
  StopRunner();
  std::string message = Scrub(std::string(error.message()));
  {
    absl::MutexLock lock(&mu_);
    status_.last_error = absl::StrCat(absl::StatusCodeToString(error.code()), ": ", message);
    status_.last_error_time = now;
    ++status_.errors_by_code[std::min(static_cast<size_t>(error.code()), kStatusCodeCount - 1)];
    if (IsTransientFailure(error)) ++status_.retries;
  }
  if (IsTransientFailure(error)) {
    ++attempt_;
    absl::Duration delay = backoff_.Delay(attempt_);
    next_attempt_ = now + delay;
    phase_ = Phase::kWaitRetry;
    std::string note = absl::StrCat(
        message, " (attempt ", attempt_, ", retrying in ", absl::FormatDuration(delay), ", at ",
        absl::FormatTime("%H:%M:%E3S UTC", next_attempt_, absl::UTCTimeZone()), ")");
    log_->warn("{}", note);
    Event("retrying", note);
    Publish(PipelineState::kRetrying, note);
    context_->reactor->Arm(key_, -1, false, false, next_attempt_);
    return;
  }
  phase_ = Phase::kFailed;
  context_->reactor->Disarm(key_);
  log_->error("failed: {}", message);
  Event("failed", message);
  Publish(PipelineState::kFailed, message);
}

}  // namespace dbmazz::runtime
