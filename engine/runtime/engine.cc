#include "engine/runtime/engine.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::runtime {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  if (options.state_path.empty()) return absl::InvalidArgumentError("state_path is empty");
  auto store = state::StateStore::Open(options.state_path);
  if (!store.ok()) return store.status();
  std::unique_ptr<Engine> engine(new Engine(std::move(options), std::move(*store)));
  if (absl::Status s = engine->Start(); !s.ok()) return s;
  return engine;
}

Engine::Engine(EngineOptions options, std::unique_ptr<state::StateStore> store)
    : options_(std::move(options)), store_(std::move(store)) {}

absl::Status Engine::Start() {
  auto dispatcher = sink::LoadDispatcher::Create();
  if (!dispatcher.ok()) return dispatcher.status();
  dispatcher_ = std::move(*dispatcher);
  auto reactor = Reactor::Create([this](uint64_t key) { Fire(key); });
  if (!reactor.ok()) return reactor.status();
  reactor_ = std::move(*reactor);
  pool_ = std::make_unique<WorkerPool>(options_.worker_threads);
  admin_pool_ = std::make_unique<WorkerPool>(std::max(1, options_.admin_threads));

  context_.store = store_.get();
  context_.pool = pool_.get();
  context_.admin_pool = admin_pool_.get();
  snapshot_pool_ = std::make_unique<WorkerPool>(std::max(1, options_.snapshot_threads));
  context_.snapshot_pool = snapshot_pool_.get();
  context_.snapshot_parallelism = std::max(1, options_.snapshot_parallelism);
  context_.snapshot_chunk_rows = std::max<int64_t>(1, options_.snapshot_chunk_rows);
  context_.reactor = reactor_.get();
  context_.dispatcher = dispatcher_.get();
  committer_ = std::make_unique<CheckpointCommitter>(store_.get());
  context_.committer = committer_.get();
  context_.retry_initial = options_.retry_initial;
  context_.retry_max = options_.retry_max;
  context_.connect_timeout = options_.connect_timeout;
  context_.drain_timeout = options_.drain_timeout;
  context_.max_buffered_bytes = options_.max_buffered_bytes_per_pipeline;
  slot_monitor_ = std::make_unique<SlotMonitor>(
      options_.slot_sample_interval, options_.connect_timeout,
      [this] {
        std::vector<SlotMonitor::Target> targets;
        absl::MutexLock lock(&mu_);
        for (const auto& [key, actor] : by_key_) {
          targets.push_back({key, actor->dsn(), actor->slot_name()});
        }
        return targets;
      },
      [this](uint64_t key, const SlotHealth& health) {
        if (auto actor = FindKey(key)) actor->OnSlotHealth(health);
      });
  context_.on_paused = [this] { slot_monitor_->Poke(); };
  context_.on_deleted = [this](const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    by_key_.erase(it->second->key());
    by_id_.erase(it);
  };

  auto records = store_->ListPipelines();
  if (!records.ok()) return records.status();
  std::vector<std::shared_ptr<PipelineActor>> actors;
  std::vector<state::DeleteIntent> intents;
  for (state::PipelineRecord& record : *records) {
    auto spec = pipeline::SpecFromJson(record.spec);
    if (!spec.ok()) {
      return absl::DataLossError(absl::StrCat("the stored spec of pipeline \"", record.pipeline_id,
                                              "\" cannot be read: ", spec.status().message()));
    }
    intents.push_back(record.delete_intent);
    actors.push_back(AddActor(std::move(record), std::move(*spec)));
  }
  spdlog::info("engine: {} pipeline(s), {} worker thread(s), state in {}", actors.size(),
               pool_->size(), store_->path());
  for (size_t i = 0; i < actors.size(); ++i) {
    // A delete requested before a restart is finished, not forgotten.
    if (intents[i] != state::DeleteIntent::kNone) {
      actors[i]->RequestDelete(intents[i] == state::DeleteIntent::kKeepSlot);
    } else {
      actors[i]->Schedule();
    }
  }
  slot_monitor_->Poke();
  return absl::OkStatus();
}

Engine::~Engine() {
  std::vector<std::shared_ptr<PipelineActor>> actors;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, actor] : by_id_) actors.push_back(actor);
  }
  for (auto& actor : actors) actor->RequestShutdown();
  absl::Time deadline = absl::Now() + options_.drain_timeout + absl::Seconds(15);
  for (auto& actor : actors) {
    while (!actor->ShutdownComplete() && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Nothing starts new work from here on; the objects stay until the
  // runners are gone (they disarm the reactor and cancel their loads).
  context_.stopping.store(true);
  slot_monitor_.reset();
  if (pool_ != nullptr) pool_->Shutdown();
  if (admin_pool_ != nullptr) admin_pool_->Shutdown();
  // Chunk jobs see `stopping` and end within ~100 ms.
  if (snapshot_pool_ != nullptr) snapshot_pool_->Shutdown();
  {
    absl::MutexLock lock(&mu_);
    by_key_.clear();
    by_id_.clear();
  }
  for (auto& actor : actors) actor->Abandon();
  actors.clear();
  reactor_.reset();
  dispatcher_.reset();
  committer_.reset();  // commits what is pending
  pool_.reset();
  admin_pool_.reset();
  snapshot_pool_.reset();
  store_.reset();
}

std::shared_ptr<PipelineActor> Engine::AddActor(state::PipelineRecord record,
                                                pipeline::PipelineSpec spec) {
  absl::MutexLock lock(&mu_);
  uint64_t key = next_key_++;
  std::string id = record.pipeline_id;
  auto actor = std::make_shared<PipelineActor>(key, std::move(record), std::move(spec), &context_);
  by_id_[id] = actor;
  by_key_[key] = actor;
  return actor;
}

std::shared_ptr<PipelineActor> Engine::FindKey(uint64_t key) const {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

void Engine::Fire(uint64_t key) {
  if (auto actor = FindKey(key)) actor->Schedule();
}

std::shared_ptr<PipelineActor> Engine::Find(std::string_view pipeline_id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(AsAbsl(pipeline_id));
  return it == by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<std::vector<pipeline::CheckResult>> Engine::CheckLive(
    std::string_view pipeline_id, const pipeline::PipelineSpec& spec) {
  pipeline::ValidationContext context;
  context.check_sink = options_.check_sink_on_create;
  context.connect_timeout = options_.connect_timeout;
  std::vector<pipeline::CheckResult> conflicts;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, actor] : by_id_) {
      if (id == AsAbsl(pipeline_id)) continue;
      PipelineStatus other = actor->Status();
      context.other_slots.insert(other.spec.source.slot_name);
      context.other_publications.insert(other.spec.source.publication_name);
    }
  }
  return pipeline::ValidateLive(spec, context);
}

absl::StatusOr<std::vector<pipeline::CheckResult>> Engine::Validate(std::string_view pipeline_id,
                                                                    pipeline::PipelineSpec spec) {
  if (absl::Status s = pipeline::ApplyDefaults(pipeline_id, &spec); !s.ok()) return s;
  if (absl::Status s = pipeline::ValidateSpecStatic(pipeline_id, spec); !s.ok()) return s;
  return CheckLive(pipeline_id, spec);
}

absl::StatusOr<PipelineStatus> Engine::Create(std::string_view pipeline_id,
                                              pipeline::PipelineSpec spec) {
  if (absl::Status s = pipeline::ApplyDefaults(pipeline_id, &spec); !s.ok()) return s;
  if (absl::Status s = pipeline::ValidateSpecStatic(pipeline_id, spec); !s.ok()) return s;
  absl::MutexLock admin(&admin_mu_);
  if (Find(pipeline_id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("pipeline \"", AsAbsl(pipeline_id), "\" already exists"));
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, actor] : by_id_) {
      PipelineStatus other = actor->Status();
      if (other.spec.source.slot_name == spec.source.slot_name) {
        return absl::AlreadyExistsError(absl::StrCat("source.slot_name: slot \"",
                                                     spec.source.slot_name,
                                                     "\" is used by pipeline \"", id, "\""));
      }
      if (other.spec.source.publication_name == spec.source.publication_name) {
        return absl::AlreadyExistsError(absl::StrCat("source.publication_name: publication \"",
                                                     spec.source.publication_name,
                                                     "\" is used by pipeline \"", id, "\""));
      }
    }
  }
  auto checks = CheckLive(pipeline_id, spec);
  if (!checks.ok()) return checks.status();
  if (absl::Status s = pipeline::FirstFailure(*checks); !s.ok()) return s;

  state::PipelineRecord record;
  record.pipeline_id = std::string(pipeline_id);
  record.spec = pipeline::SpecToJson(spec, /*redact=*/false);
  record.desired_state = state::DesiredState::kRunning;
  record.slot_name = spec.source.slot_name;
  record.publication_name = spec.source.publication_name;
  if (absl::Status s = store_->CreatePipeline(record); !s.ok()) return s;
  auto stored = store_->GetPipeline(pipeline_id);  // with its create time
  if (!stored.ok()) return stored.status();
  if (absl::Status s = store_->AppendEvent(pipeline_id, "created", "pipeline created"); !s.ok()) {
    spdlog::warn("pipeline {}: could not record event: {}", pipeline_id, s.ToString());
  }
  auto actor = AddActor(std::move(*stored), std::move(spec));
  actor->Schedule();
  slot_monitor_->Poke();
  return actor->Status();
}

absl::StatusOr<PipelineStatus> Engine::Get(std::string_view pipeline_id) const {
  auto actor = Find(pipeline_id);
  if (actor == nullptr) {
    return absl::NotFoundError(absl::StrCat("pipeline \"", AsAbsl(pipeline_id), "\" not found"));
  }
  return actor->Status();
}

std::vector<PipelineStatus> Engine::List() const {
  std::vector<std::shared_ptr<PipelineActor>> actors;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, actor] : by_id_) actors.push_back(actor);
  }
  std::vector<PipelineStatus> out;
  out.reserve(actors.size());
  for (const auto& actor : actors) out.push_back(actor->Status());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.pipeline_id < b.pipeline_id; });
  return out;
}

absl::StatusOr<PipelineStatus> Engine::SetDesired(std::string_view pipeline_id,
                                                  state::DesiredState desired) {
  auto actor = Find(pipeline_id);
  if (actor == nullptr) return Get(pipeline_id).status();
  if (actor->Status().state == PipelineState::kDeleting) {
    return absl::FailedPreconditionError(
        absl::StrCat("pipeline \"", AsAbsl(pipeline_id), "\" is being deleted"));
  }
  if (absl::Status s = store_->SetDesiredState(pipeline_id, desired); !s.ok()) return s;
  actor->SetDesiredState(desired);
  return actor->Status();
}

absl::StatusOr<PipelineStatus> Engine::Pause(std::string_view pipeline_id) {
  return SetDesired(pipeline_id, state::DesiredState::kPaused);
}

absl::StatusOr<PipelineStatus> Engine::Resume(std::string_view pipeline_id) {
  return SetDesired(pipeline_id, state::DesiredState::kRunning);
}

absl::StatusOr<PipelineStatus> Engine::Delete(std::string_view pipeline_id, bool keep_slot) {
  auto actor = Find(pipeline_id);
  if (actor == nullptr) return Get(pipeline_id).status();
  // Recorded first: a restart from here on finishes the delete.
  if (absl::Status s = store_->SetDeleteIntent(
          pipeline_id, keep_slot ? state::DeleteIntent::kKeepSlot : state::DeleteIntent::kDrop);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = store_->AppendEvent(
          pipeline_id, "deleting", keep_slot ? "delete requested (keep slot)" : "delete requested");
      !s.ok()) {
    return s;
  }
  actor->RequestDelete(keep_slot);
  return actor->Status();
}

absl::StatusOr<std::vector<state::EventRecord>> Engine::Events(std::string_view pipeline_id,
                                                               int limit, int64_t before_id) {
  if (Find(pipeline_id) == nullptr) return Get(pipeline_id).status();
  return store_->ListEvents(pipeline_id, limit, before_id);
}

}  // namespace dbmazz::runtime
