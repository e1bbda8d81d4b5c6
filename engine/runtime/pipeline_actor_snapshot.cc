// PipelineActor: the initial-snapshot phases. The rest of the class is in
// pipeline_actor.cc.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/runtime/pipeline_actor.h"
#include "engine/runtime/source_cleanup.h"
#include "engine/snapshot/snapshot_setup.h"

namespace dbmazz::runtime {

void PipelineActor::StartSnapshotJob() {
  Publish(attempt_ > 0 ? PipelineState::kRetrying : PipelineState::kSnapshotting,
          "preparing the snapshot (slot, sessions, chunk plan)");
  phase_ = Phase::kSnapshotStarting;
  snapshot::SnapshotConfig config;
  config.pipeline_id = id_;
  config.dsn = spec_.source.dsn;
  config.slot_name = spec_.source.slot_name;
  config.publication_name = spec_.source.publication_name;
  for (const pipeline::TableSpec& t : spec_.tables) config.tables.push_back(t.source);
  config.parallelism = context_->snapshot_parallelism;
  config.chunk_rows = context_->snapshot_chunk_rows;
  config.connect_timeout = context_->connect_timeout;

  snapshot::SnapshotCopyConfig copy;
  copy.pipeline_id = id_;
  copy.sink = pipeline::ToSinkOptions(spec_);
  copy.sink.max_buffered_bytes = context_->max_buffered_bytes;
  copy.stream_load = pipeline::ToStreamLoadOptions(spec_);
  copy.dispatcher = context_->dispatcher;
  copy.store = context_->store;
  copy.run_job = [pool = context_->snapshot_pool](absl::AnyInvocable<void()> job) {
    pool->Submit(std::move(job));
  };
  // Jobs may outlive the copy (and end after the actor): never touch `this`.
  copy.wake = [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->Schedule();
  };
  copy.stopping = &context_->stopping;

  RunJob([this, config = std::move(config), copy = std::move(copy)]() mutable {
    absl::StatusOr<std::unique_ptr<snapshot::SnapshotCopy>> made;
    auto start = snapshot::StartSnapshot(config, *context_->store);
    if (start.ok()) {
      made = snapshot::SnapshotCopy::Create(std::move(copy), std::move(*start));
    } else {
      made = start.status();
    }
    {
      absl::MutexLock lock(&mu_);
      jobs_.snapshot = std::move(made);
      jobs_.snapshot_started = true;
    }
    Schedule();
  });
}

bool PipelineActor::TakeSnapshotStart() {
  absl::StatusOr<std::unique_ptr<snapshot::SnapshotCopy>> made;
  {
    absl::MutexLock lock(&mu_);
    if (!jobs_.snapshot_started) return false;
    jobs_.snapshot_started = false;
    made = std::move(jobs_.snapshot);
  }
  if (!made.ok()) {
    phase_ = Phase::kIdle;
    Fail(made.status(), absl::Now());
    return false;
  }
  snapshot_ = std::move(*made);
  phase_ = Phase::kSnapshotting;
  snapshot::SnapshotProgress p = snapshot_->Progress();
  rate_rows_ = p.rows_copied;
  rate_time_ = absl::Now();
  std::string note = absl::StrCat("snapshot attempt ", p.epoch, ": ", p.tables.size(),
                                  " table(s), ", p.chunks_total - p.chunks_done, " of ",
                                  p.chunks_total, " chunk(s) to copy; streaming will start at ",
                                  FormatLsn(snapshot_->checkpoint()));
  log_->info("{}", note);
  Event("snapshot", note);
  Publish(PipelineState::kSnapshotting, "copying existing rows");
  PublishSnapshot(absl::Now(), false);
  return true;
}

void PipelineActor::PublishSnapshot(absl::Time now, bool done) {
  if (snapshot_ == nullptr) return;
  snapshot::SnapshotProgress p = snapshot_->Progress();
  SnapshotStatus s;
  s.epoch = p.epoch;
  s.done = done;
  s.rows_copied = p.rows_copied;
  s.chunks_done = p.chunks_done;
  s.chunks_total = p.chunks_total;
  for (const auto& t : p.tables) s.rows_estimate += t.rows_estimate;
  s.tables = std::move(p.tables);
  std::vector<std::string> finished;  // tables whose last chunk was copied since last time
  {
    absl::MutexLock lock(&mu_);
    double previous = status_.snapshot ? status_.snapshot->rows_per_second : 0;
    s.rows_per_second = previous;
    if (now - rate_time_ >= absl::Seconds(1)) {
      s.rows_per_second =
          static_cast<double>(p.rows_copied - rate_rows_) / absl::ToDoubleSeconds(now - rate_time_);
      rate_rows_ = p.rows_copied;
      rate_time_ = now;
    }
    if (status_.snapshot.has_value()) {
      for (const snapshot::TableProgress& t : s.tables) {
        if (t.chunks_total == 0 || t.chunks_done < t.chunks_total) continue;
        for (const snapshot::TableProgress& before : status_.snapshot->tables) {
          if (before.table == t.table && before.chunks_done < before.chunks_total) {
            finished.push_back(absl::StrCat(t.table, ": ", t.rows_copied, " row(s) in ",
                                            t.chunks_total, " chunk(s)"));
          }
        }
      }
    }
    status_.snapshot = std::move(s);
  }
  for (const std::string& note : finished) {
    log_->info("snapshot table done: {}", note);
    Event("snapshot_table_done", note);
  }
}

void PipelineActor::TurnSnapshot(const Commands& c, absl::Time now) {
  auto outcome = snapshot_->Advance();
  bool done = outcome.ok() && *outcome == snapshot::SnapshotCopy::Outcome::kDone;
  PublishSnapshot(now, done);
  if (!outcome.ok()) {
    snapshot_.reset();
    phase_ = Phase::kIdle;
    Fail(outcome.status(), now);
    return;
  }
  if (!done) {
    context_->reactor->Arm(key_, -1, false, false, now + absl::Seconds(1));  // progress
    return;
  }
  snapshot::SnapshotProgress p = snapshot_->Progress();
  std::string note = absl::StrCat("snapshot done: ", p.rows_copied, " row(s) of ", p.tables.size(),
                                  " table(s) copied");
  log_->info("{}", note);
  Event("snapshot_done", note);
  bool exact = snapshot_->exact();
  snapshot_.reset();
  snapshot_needed_ = false;
  phase_ = Phase::kIdle;
  if (spec_.snapshot_mode == pipeline::SnapshotMode::kInitialOnly) {
    // An exact copy is complete; a resumed one first streams the changes
    // made since the checkpoint, up to now.
    complete_pending_ = exact;
    catch_up_ = !exact;
  }
  TurnIdle(c);
}

void PipelineActor::StartCompleteJob() {
  phase_ = Phase::kCompleting;
  Publish(PipelineState::kSnapshotting, "copy complete; dropping the slot (initial_only)");
  RunJob([this]() {
    absl::Status done;
    auto record = context_->store->GetPipeline(id_);
    if (!record.ok()) done = record.status();
    if (done.ok()) {
      done = DropSourceObjects(
          SourceObjects{spec_.source.dsn, spec_.source.slot_name, spec_.source.publication_name,
                        record->slot_created_by_us, record->publication_created_by_us},
          context_->connect_timeout);
    }
    if (done.ok()) done = context_->store->FinishSnapshot(id_, state::SnapshotPhase::kCompleted);
    {
      absl::MutexLock lock(&mu_);
      jobs_.completed = done;
      jobs_.complete_done = true;
    }
    Schedule();
  });
}

bool PipelineActor::TakeCompleteResult() {
  absl::Status done;
  {
    absl::MutexLock lock(&mu_);
    if (!jobs_.complete_done) return false;
    jobs_.complete_done = false;
    done = jobs_.completed;
  }
  if (!done.ok()) {
    phase_ = Phase::kIdle;
    Fail(done, absl::Now());
    return false;
  }
  complete_pending_ = false;
  catch_up_ = false;
  stop_at_ = kInvalidLsn;
  phase_ = Phase::kCompleted;
  std::string note =
      "initial copy complete; the slot is dropped and nothing is streamed "
      "(snapshot_mode initial_only)";
  log_->info("{}", note);
  Event("completed", note);
  Publish(PipelineState::kCompleted, note);
  return true;  // a delete may be waiting
}

bool PipelineActor::StopSnapshot(absl::Time now) {
  snapshot_->Cancel();
  auto outcome = snapshot_->Advance();
  if (snapshot_->Busy()) {
    // The jobs stop within ~100 ms and wake the actor; look again anyway.
    context_->reactor->Arm(key_, -1, false, false, now + absl::Milliseconds(200));
    return false;
  }
  PublishSnapshot(now, false);
  snapshot::SnapshotProgress p = snapshot_->Progress();
  snapshot_.reset();
  phase_ = Phase::kIdle;
  std::string note = absl::StrCat("snapshot stopped at ", p.chunks_done, " of ", p.chunks_total,
                                  " chunk(s); it resumes from there");
  if (!outcome.ok() && outcome.status().code() != absl::StatusCode::kCancelled) {
    absl::StrAppend(&note, " (", outcome.status().message(), ")");
  }
  log_->info("{}", note);
  Event("snapshot_stopped", note);
  return true;
}

}  // namespace dbmazz::runtime
