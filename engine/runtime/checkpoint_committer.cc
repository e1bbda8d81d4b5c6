#include "engine/runtime/checkpoint_committer.h"

namespace dbmazz::runtime {

CheckpointCommitter::CheckpointCommitter(state::StateStore* store) : store_(store) {
  thread_ = std::thread([this] { Run(); });
}

CheckpointCommitter::~CheckpointCommitter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CheckpointCommitter::Submit(std::string pipeline_id, Lsn lsn, Callback done) {
  absl::MutexLock lock(&mu_);
  pending_.push_back(Pending{std::move(pipeline_id), lsn, std::move(done)});
}

uint64_t CheckpointCommitter::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

void CheckpointCommitter::Run() {
  while (true) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !pending_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (pending_.empty()) return;  // stopping, nothing left
      batch.swap(pending_);
    }
    std::vector<state::CheckpointUpdate> updates;
    updates.reserve(batch.size());
    for (const Pending& p : batch) updates.push_back({p.pipeline_id, p.lsn});
    absl::Status status = store_->SaveCheckpoints(updates);
    if (status.code() == absl::StatusCode::kNotFound) {
      // A pipeline was deleted meanwhile: commit the others one by one.
      for (Pending& p : batch) p.done(store_->SaveCheckpoint(p.pipeline_id, p.lsn));
    } else {
      for (Pending& p : batch) p.done(status);
    }
    absl::MutexLock lock(&mu_);
    ++commits_;
  }
}

}  // namespace dbmazz::runtime
