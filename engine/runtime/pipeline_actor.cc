#include "engine/runtime/pipeline_actor.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"

namespace dbmazz::runtime {

namespace {

std::shared_ptr<spdlog::logger> PipelineLogger(const std::string& id) {
  // Shares the default logger's sinks; every line names the pipeline.
  return spdlog::default_logger()->clone(absl::StrCat("pipeline ", id));
}

}  // namespace

PipelineActor::PipelineActor(uint64_t key, state::PipelineRecord record,
                             pipeline::PipelineSpec spec, EngineContext* context)
    : key_(key),
      id_(record.pipeline_id),
      dsn_(spec.source.dsn),
      slot_name_(spec.source.slot_name),
      context_(context),
      log_(PipelineLogger(record.pipeline_id)),
      record_(std::move(record)),
      spec_(std::move(spec)),
      backoff_(context->retry_initial, context->retry_max, std::hash<std::string>{}(id_) ^ key) {
  absl::MutexLock lock(&mu_);
  commands_ = Commands{record_.desired_state, false, false, false, false, false};
  status_.pipeline_id = id_;
  status_.desired_state = record_.desired_state;
  status_.create_time = record_.create_time;
  status_.update_time = record_.update_time;
  status_.state = record_.desired_state == state::DesiredState::kPaused ? PipelineState::kPaused
                                                                        : PipelineState::kCreating;
  status_.state_time = absl::Now();
  // The published spec never carries a password.
  auto redacted = pipeline::SpecFromJson(pipeline::SpecToJson(spec_, /*redact=*/true));
  if (redacted.ok()) status_.spec = std::move(*redacted);
  auto checkpoint = context_->store->LoadCheckpoint(id_);
  if (checkpoint.ok()) status_.checkpoint_lsn = *checkpoint;
}

PipelineActor::~PipelineActor() { StopRunner(); }

void PipelineActor::Schedule() {
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
  }
  if (again) Schedule();
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

void PipelineActor::RequestDelete(bool keep_slot) {
  {
    absl::MutexLock lock(&mu_);
    commands_.delete_requested = true;
    commands_.keep_slot = keep_slot;
    status_.state = PipelineState::kDeleting;
    status_.message = "deleting";
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

PipelineStatus PipelineActor::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void PipelineActor::Publish(PipelineState state, std::string message) {
  absl::MutexLock lock(&mu_);
  if (status_.state != state) status_.state_time = absl::Now();
  status_.state = state;
  status_.message = std::move(message);
  status_.attempt = attempt_;
  status_.next_attempt_time = phase_ == Phase::kWaitRetry ? next_attempt_ : absl::InfiniteFuture();
}

void PipelineActor::PublishStats() {
  if (runner_ == nullptr) return;
  pipeline::RunnerStats s = runner_->stats();
  absl::MutexLock lock(&mu_);
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
  status_.buffered_bytes = s.buffered_bytes;
  status_.backpressured = s.backpressured;
}

void PipelineActor::Event(std::string_view kind, std::string_view message) {
  absl::Status s = context_->store->AppendEvent(id_, kind, message);
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

void PipelineActor::StopRunner() {
  if (runner_ == nullptr) return;
  context_->reactor->Disarm(key_);
  PublishStats();
  {
    // Keep the counters of this run for the next one.
    absl::MutexLock lock(&mu_);
    base_ = status_;
  }
  runner_.reset();
  running_since_ = absl::InfiniteFuture();
}

void PipelineActor::OnSlotHealth(const SlotHealth& health) {
  bool lost = health.exists && health.wal_status == "lost";
  {
    absl::MutexLock lock(&mu_);
    status_.slot = health;
    if (!lost || status_.state == PipelineState::kFailed) return;
    commands_.slot_lost = true;
  }
  Schedule();
}

void PipelineActor::Turn(absl::Time now) {
  Commands c;
  {
    absl::MutexLock lock(&mu_);
    c = commands_;
    commands_.retry_now = false;
  }
  if (phase_ == Phase::kDone) return;
  if (c.slot_lost && phase_ != Phase::kFailed && !c.delete_requested) {
    {
      absl::MutexLock lock(&mu_);
      commands_.slot_lost = false;
    }
    Fail(absl::FailedPreconditionError(absl::StrCat(
             "replication slot \"", spec_.source.slot_name,
             "\" is lost (wal_status = lost): PostgreSQL removed WAL the pipeline still needed "
             "(max_slot_wal_keep_size). Changes since the checkpoint cannot be streamed; delete "
             "the pipeline and create it again")),
         now);
    return;
  }
  if (c.delete_requested) {
    Delete(c.keep_slot);
    return;
  }
  if (c.shutdown && (phase_ != Phase::kRunning && phase_ != Phase::kDraining)) {
    phase_ = Phase::kDone;
    absl::MutexLock lock(&mu_);
    shutdown_complete_ = true;
    return;
  }
  if (phase_ == Phase::kRunning || phase_ == Phase::kDraining) {
    TurnRunning(c, now);
    return;
  }
  if (phase_ == Phase::kFailed || phase_ == Phase::kWaitRetry) {
    if (c.retry_now && c.desired == state::DesiredState::kRunning) {
      phase_ = Phase::kIdle;  // resume: try again now
    } else if (phase_ == Phase::kWaitRetry && c.desired == state::DesiredState::kPaused) {
      phase_ = Phase::kIdle;
    } else if (phase_ == Phase::kWaitRetry && now >= next_attempt_) {
      phase_ = Phase::kIdle;
    } else {
      if (phase_ == Phase::kWaitRetry)
        context_->reactor->Arm(key_, -1, false, false, next_attempt_);
      return;
    }
  }
  // Idle.
  if (c.desired == state::DesiredState::kPaused) {
    if (Status().state != PipelineState::kPaused) {
      attempt_ = 0;
      Publish(PipelineState::kPaused, "paused");
    }
    // The slot keeps WAL while paused: show how much.
    return;
  }
  StartRunner(now);
}

void PipelineActor::StartRunner(absl::Time now) {
  Publish(attempt_ > 0 ? PipelineState::kRetrying : PipelineState::kCreating,
          ever_started_ ? "connecting" : "preparing the source and connecting");
  auto runner = pipeline::PipelineRunner::Start(MakeRunnerConfig(), context_->store);
  if (!runner.ok()) {
    Fail(runner.status(), absl::Now());
    return;
  }
  runner_ = std::move(*runner);
  phase_ = Phase::kRunning;
  running_since_ = now;
  std::string message = absl::StrCat("streaming from ", FormatLsn(runner_->checkpoint()));
  log_->info("{}", message);
  Event(ever_started_ ? "resumed" : "started", message);
  ever_started_ = true;
  Publish(PipelineState::kStreaming, "streaming");
  Schedule();
}

void PipelineActor::TurnRunning(const Commands& c, absl::Time now) {
  if (phase_ == Phase::kRunning && (c.shutdown || c.desired == state::DesiredState::kPaused)) {
    runner_->BeginDrain();
    phase_ = Phase::kDraining;
    drain_deadline_ = now + context_->drain_timeout;
    Publish(PipelineState::kStreaming, c.shutdown ? "stopping" : "pausing");
  }
  auto wants = runner_->Advance(now);
  if (!wants.ok()) {
    Fail(wants.status(), now);
    return;
  }
  PublishStats();
  if (attempt_ > 0 && now - running_since_ >= context_->retry_reset_after) attempt_ = 0;
  if (phase_ == Phase::kDraining) {
    bool drained = runner_->Drained();
    if (drained || now >= drain_deadline_) {
      context_->reactor->Disarm(key_);
      absl::Status closed = runner_->Close();
      if (!closed.ok()) log_->warn("closing the replication session: {}", closed.ToString());
      std::string note = drained ? absl::StrCat("checkpoint ", FormatLsn(runner_->checkpoint()))
                                 : "drain timed out; unloaded rows will be read again";
      StopRunner();
      if (c.shutdown) {
        phase_ = Phase::kDone;
        log_->info("stopped ({})", note);
        absl::MutexLock lock(&mu_);
        shutdown_complete_ = true;
        return;
      }
      phase_ = Phase::kIdle;
      attempt_ = 0;
      log_->info("paused ({})", note);
      Event("paused", note);
      Publish(PipelineState::kPaused, "paused");
      if (context_->on_paused) context_->on_paused();  // show the retained WAL soon
      Schedule();                                      // resumed meanwhile? the next turn looks
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
  context_->reactor->Arm(key_, runner_->socket(), read, wants->write, wake_at);
}

void PipelineActor::Fail(const absl::Status& error, absl::Time now) {
  StopRunner();
  std::string message(error.message());
  {
    absl::MutexLock lock(&mu_);
    status_.last_error = absl::StrCat(absl::StatusCodeToString(error.code()), ": ", message);
    status_.last_error_time = now;
  }
  if (IsTransientFailure(error)) {
    ++attempt_;
    absl::Duration delay = backoff_.Delay(attempt_);
    next_attempt_ = now + delay;
    phase_ = Phase::kWaitRetry;
    std::string note = absl::StrCat(message, " (attempt ", attempt_, ", retrying in ",
                                    absl::FormatDuration(delay), ")");
    log_->warn("{}", note);
    Event("retrying", note);
    Publish(PipelineState::kRetrying, note);
    context_->reactor->Arm(key_, -1, false, false, next_attempt_);
    return;
  }
  phase_ = Phase::kFailed;
  log_->error("failed: {}", message);
  Event("failed", message);
  Publish(PipelineState::kFailed, message);
}

void PipelineActor::Delete(bool keep_slot) {
  StopRunner();
  Publish(PipelineState::kDeleting, "dropping the slot and publication");
  // The runner records in the store whether it created the slot/publication.
  if (auto stored = context_->store->GetPipeline(id_); stored.ok()) record_ = std::move(*stored);
  absl::Status dropped;
  bool drop_slot = record_.slot_created_by_us && !keep_slot;
  bool drop_publication = record_.publication_created_by_us && !keep_slot;
  if (drop_slot || drop_publication) {
    postgres::ConnectOptions options;
    options.connect_timeout = context_->connect_timeout;
    auto conn = postgres::PgConnection::Connect(spec_.source.dsn, options);
    if (!conn.ok()) {
      dropped = conn.status();
    } else {
      postgres::SourceAdmin admin(conn->get());
      if (drop_slot) {
        dropped = admin.DropSlot(spec_.source.slot_name);
        if (dropped.code() == absl::StatusCode::kNotFound) dropped = absl::OkStatus();
        // The walsender of the connection just closed may hold the slot a
        // moment longer (kUnavailable while active): look again shortly,
        // without holding the worker.
        if (dropped.code() == absl::StatusCode::kUnavailable) {
          absl::Time now = absl::Now();
          if (delete_deadline_ == absl::InfiniteFuture())
            delete_deadline_ = now + absl::Seconds(30);
          if (now < delete_deadline_) {
            context_->reactor->Arm(key_, -1, false, false, now + absl::Milliseconds(100));
            return;
          }
        }
      }
      if (dropped.ok() && drop_publication) {
        dropped = admin.DropPublication(spec_.source.publication_name);
      }
    }
  }
  delete_deadline_ = absl::InfiniteFuture();
  if (!dropped.ok()) {
    {
      absl::MutexLock lock(&mu_);
      commands_.delete_requested = false;
    }
    std::string message =
        absl::StrCat("delete failed, the pipeline is kept: ", dropped.message(),
                     ". Retry the delete, or delete with keep_slot and drop the slot yourself");
    phase_ = Phase::kFailed;
    log_->error("{}", message);
    Event("failed", message);
    Publish(PipelineState::kFailed, message);
    return;
  }
  if (absl::Status s = context_->store->DeletePipeline(id_); !s.ok()) {
    {
      absl::MutexLock lock(&mu_);
      commands_.delete_requested = false;
    }
    phase_ = Phase::kFailed;
    Publish(PipelineState::kFailed, absl::StrCat("delete failed: ", s.message()));
    return;
  }
  log_->info("deleted ({})", drop_slot ? "slot and publication dropped" : "slot kept");
  phase_ = Phase::kDone;
  Publish(PipelineState::kDeleting, "deleted");
  if (context_->on_deleted) context_->on_deleted(id_);
}

}  // namespace dbmazz::runtime
