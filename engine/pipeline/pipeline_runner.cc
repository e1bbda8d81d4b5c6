#include "engine/pipeline/pipeline_runner.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/postgres/source_admin.h"

namespace dbmazz::pipeline {

class PipelineRunner::Handler : public replication::ChangeHandler {
 public:
  explicit Handler(sink::StarRocksSink* sink) : sink_(sink) {}
  absl::Status OnMessage(const pgoutput::DecodedMessage& m, Lsn) override {
    return sink_->OnMessage(m);
  }

 private:
  sink::StarRocksSink* sink_;
};

namespace {

// Publication and slot, created only when this pipeline never had them.
absl::Status PrepareSource(const RunnerConfig& config, state::StateStore& store,
                           const state::PipelineRecord& record) {
  postgres::ConnectOptions options;
  options.connect_timeout = config.connect_timeout;
  auto conn = postgres::PgConnection::Connect(config.dsn, options);
  if (!conn.ok()) return conn.status();
  postgres::SourceAdmin admin(conn->get());
  auto created_publication = admin.EnsurePublication(config.publication_name, config.tables);
  if (!created_publication.ok()) return created_publication.status();
  auto slot = admin.GetSlot(config.slot_name);
  if (!slot.ok()) return slot.status();
  bool created_slot = false;
  if (slot->has_value()) {
    if ((*slot)->plugin != "pgoutput" || (*slot)->slot_type != "logical") {
      return absl::FailedPreconditionError(
          absl::StrCat("replication slot \"", config.slot_name, "\" exists but is not a logical ",
                       "pgoutput slot (plugin \"", (*slot)->plugin, "\")"));
    }
    if ((*slot)->wal_status == "lost") {
      return absl::FailedPreconditionError(absl::StrCat(
          "replication slot \"", config.slot_name, "\" is lost (wal_status = lost): PostgreSQL ",
          "removed WAL it still needed. Changes since the checkpoint cannot be streamed; "
          "delete the pipeline and create it again with a fresh snapshot"));
    }
  } else if (record.slot_created_by_us) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replication slot \"", config.slot_name, "\" created by this pipeline no longer exists ",
        "(dropped outside dbmazz?). dbmazz will not recreate it, because changes made since ",
        "the last checkpoint would be skipped silently; delete and recreate the pipeline to "
        "resynchronise"));
  } else {
    postgres::ConnectOptions repl_options = options;
    repl_options.replication = true;
    auto repl = postgres::PgConnection::Connect(config.dsn, repl_options);
    if (!repl.ok()) return repl.status();
    auto slot_made = replication::CreateLogicalSlot(**repl, config.slot_name,
                                                    replication::SnapshotAction::kNothing);
    if (!slot_made.ok()) return slot_made.status();
    created_slot = true;
  }
  if (created_slot || *created_publication) {
    return store.SetCreatedByUs(config.pipeline_id, record.slot_created_by_us || created_slot,
                                record.publication_created_by_us || *created_publication);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PipelineRunner>> PipelineRunner::Start(RunnerConfig config,
                                                                      state::StateStore* store) {
  auto record = store->GetPipeline(config.pipeline_id);
  if (!record.ok()) return record.status();
  if (absl::Status s = PrepareSource(config, *store, *record); !s.ok()) return s;
  auto checkpoint = store->LoadCheckpoint(config.pipeline_id);
  if (!checkpoint.ok()) return checkpoint.status();

  std::unique_ptr<PipelineRunner> runner(new PipelineRunner(std::move(config), store, *checkpoint));
  const RunnerConfig& c = runner->config_;
  auto client = sink::StreamLoadClient::Create(c.stream_load);
  if (!client.ok()) return client.status();
  runner->loader_ =
      std::make_unique<sink::StreamLoadBatchLoader>(c.pipeline_id, std::move(*client));
  runner->sink_ = std::make_unique<sink::StarRocksSink>(c.sink, runner->loader_.get(), *checkpoint);
  runner->handler_ = std::make_unique<Handler>(runner->sink_.get());

  postgres::ConnectOptions options;
  options.replication = true;
  options.connect_timeout = c.connect_timeout;
  auto conn = postgres::PgConnection::Connect(c.dsn, options);
  if (!conn.ok()) return conn.status();
  replication::StreamOptions stream_options;
  stream_options.start.slot_name = c.slot_name;
  stream_options.start.publications = {c.publication_name};
  stream_options.resume_after = *checkpoint;
  auto stream = replication::ReplicationStream::Start(std::move(*conn), stream_options);
  if (!stream.ok()) return stream.status();
  runner->stream_ = std::move(*stream);
  return runner;
}

PipelineRunner::PipelineRunner(RunnerConfig config, state::StateStore* store, Lsn checkpoint)
    : config_(std::move(config)), store_(store), checkpoint_(checkpoint) {}

PipelineRunner::~PipelineRunner() = default;

absl::Status PipelineRunner::Checkpoint() {
  Lsn durable = sink_->durable_lsn();
  if (durable > checkpoint_) {
    // Durable in SQLite before PostgreSQL may discard the WAL.
    if (absl::Status s = store_->SaveCheckpoint(config_.pipeline_id, durable); !s.ok()) return s;
    checkpoint_ = durable;
  }
  stream_->ConfirmDurable(checkpoint_);
  return stream_->SendStatusIfDue(absl::Now());
}

absl::Status PipelineRunner::Step(absl::Duration max_wait) {
  absl::Time now = absl::Now();
  // The stream keeps its status updates flowing while a load waits or retries.
  auto tick = [this] { return stream_->SendStatusIfDue(absl::Now()).ok(); };
  if (!sink_->ShouldPause()) {
    absl::Time deadline = std::min(now + max_wait, sink_->NextFlushTime());
    auto pumped = stream_->PollAndPump(*handler_, 10000, std::max(deadline, now));
    if (!pumped.ok()) return pumped.status();
    now = absl::Now();
  }
  if (sink_->ShouldPause() || now >= sink_->NextFlushTime()) {
    if (absl::Status s = sink_->Flush(now, sink_->ShouldPause(), tick); !s.ok()) return s;
  }
  return Checkpoint();
}

absl::Status PipelineRunner::Stop() {
  auto tick = [this] { return stream_->SendStatusIfDue(absl::Now()).ok(); };
  absl::Status flushed = sink_->Flush(absl::Now(), /*force=*/true, tick);
  absl::Status checkpointed = Checkpoint();
  absl::Status closed = stream_->Close();
  if (!flushed.ok()) return flushed;
  if (!checkpointed.ok()) return checkpointed;
  return closed;
}

}  // namespace dbmazz::pipeline
