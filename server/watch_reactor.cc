#include "server/watch_reactor.h"

#include "server/proto_convert.h"
#include "server/status_mapping.h"

namespace dbmazz::server {

WatchReactor* WatchReactor::Start(runtime::Engine* engine, WatchHub* hub, std::string pipeline_id,
                                  absl::Duration interval) {
  auto reactor = std::make_shared<WatchReactor>(engine, hub, std::move(pipeline_id), interval);
  absl::MutexLock lock(&reactor->mu_);
  reactor->self_ = reactor;
  reactor->PollLocked(absl::Now(), /*force=*/true);
  // Under the lock, so OnCancel (and so OnDone's Remove) comes after the Add.
  if (!reactor->finished_ && !reactor->pending_finish_.has_value()) hub->Add(reactor);
  return reactor.get();
}

WatchReactor::WatchReactor(runtime::Engine* engine, WatchHub* hub, std::string pipeline_id,
                           absl::Duration interval)
    : engine_(engine), hub_(hub), pipeline_id_(std::move(pipeline_id)), interval_(interval) {}

void WatchReactor::Tick(absl::Time now) {
  absl::MutexLock lock(&mu_);
  PollLocked(now, /*force=*/false);
}

void WatchReactor::PollLocked(absl::Time now, bool force) {
  if (finished_ || pending_finish_.has_value()) return;
  auto status = engine_->Get(pipeline_id_);
  if (!status.ok()) {
    if (status.status().code() == absl::StatusCode::kNotFound && seen_any_) {
      // Seen, then gone: only a deletion removes a pipeline. The stream is complete.
      FinishLocked(grpc::Status::OK);
    } else {
      FinishLocked(ToGrpcStatus(status.status()));
    }
    return;
  }
  int state = static_cast<int>(status->state);
  int desired = static_cast<int>(status->desired_state);
  std::string warnings;  // the raised kinds: a warning raised or cleared is a change
  for (const runtime::PipelineWarning& w : status->warnings) {
    warnings.append(runtime::WarningKindName(w.kind)).push_back(',');
  }
  bool changed = !seen_any_ || state != last_state_ || desired != last_desired_ ||
                 status->message != last_message_ || warnings != last_warnings_;
  if (!force && !changed && now - last_sent_ < interval_) return;
  seen_any_ = true;
  last_state_ = state;
  last_desired_ = desired;
  last_message_ = status->message;
  last_warnings_ = std::move(warnings);
  last_sent_ = now;
  dbmazz::v1::Pipeline pipeline;
  StatusToProto(*status, &pipeline);
  WriteLocked(std::move(pipeline));
}

void WatchReactor::WriteLocked(dbmazz::v1::Pipeline pipeline) {
  if (writing_) {
    pending_ = std::move(pipeline);
    return;
  }
  in_flight_ = std::move(pipeline);
  writing_ = true;
  StartWrite(&in_flight_);
}

void WatchReactor::FinishLocked(grpc::Status status) {
  if (finished_) return;
  if (writing_) {
    if (!pending_finish_.has_value()) pending_finish_ = std::move(status);
    return;
  }
  finished_ = true;
  Finish(std::move(status));
}

void WatchReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) {
    pending_.reset();
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed"));
    return;
  }
  if (pending_.has_value()) {
    dbmazz::v1::Pipeline next = std::move(*pending_);
    pending_.reset();
    WriteLocked(std::move(next));
    return;
  }
  if (pending_finish_.has_value()) {
    grpc::Status status = std::move(*pending_finish_);
    pending_finish_.reset();
    FinishLocked(std::move(status));
  }
}

void WatchReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  pending_.reset();
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void WatchReactor::OnDone() {
  hub_->Remove(this);
  std::shared_ptr<WatchReactor> self;
  {
    absl::MutexLock lock(&mu_);
    self = std::move(self_);
  }
  // `self` may be the last reference: nothing touches members after this.
}

}  // namespace dbmazz::server
