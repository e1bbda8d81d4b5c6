#include "engine/pipeline/pipeline_runner.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/source_admin.h"
#include "engine/sink/stream_load_batch_loader.h"

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

// A duration GUC as SHOW prints it ("60s", "1min", "500ms", "0"); zero when
// disabled or unreadable.
absl::Duration ParsePgDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  int64_t value = 0;
  if (digits == 0 || !absl::SimpleAtoi(AsAbsl(text.substr(0, digits)), &value)) {
    return absl::ZeroDuration();
  }
  std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return absl::Milliseconds(value);
  if (unit == "s") return absl::Seconds(value);
  if (unit == "min") return absl::Minutes(value);
  if (unit == "h") return absl::Hours(value);
  if (unit == "d") return absl::Hours(24 * value);
  return absl::ZeroDuration();
}

// A pgoutput timestamp (microseconds since 2000-01-01 UTC); 0 is "none".
absl::Time PgTime(int64_t pg_micros) {
  constexpr int64_t kPgEpochUnixMicros = 946684800LL * 1000000;
  return pg_micros == 0 ? absl::InfinitePast()
                        : absl::FromUnixMicros(pg_micros + kPgEpochUnixMicros);
}

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
  auto checkpoint = store.LoadCheckpoint(config.pipeline_id);
  if (!checkpoint.ok()) return checkpoint.status();
  bool created_slot = false;
  if (slot->has_value()) {
    if (absl::Status s = postgres::CheckSlotUsable(**slot); !s.ok()) return s;
    if (*checkpoint == kInvalidLsn && (*slot)->confirmed_flush_lsn != kInvalidLsn) {
      // Adopting an existing slot: from now on the pipeline has a position,
      // so the slot's disappearance is detected like one we created.
      if (absl::Status s = store.SaveCheckpoint(config.pipeline_id, (*slot)->confirmed_flush_lsn);
          !s.ok()) {
        return s;
      }
    }
  } else if (*checkpoint != kInvalidLsn) {
    // The pipeline has a position in this slot (created by it or adopted):
    // a new slot would start at the current WAL position.
    return postgres::SlotVanishedError(config.slot_name);
  } else {
    postgres::ConnectOptions repl_options = options;
    repl_options.replication = true;
    auto repl = postgres::PgConnection::Connect(config.dsn, repl_options);
    if (!repl.ok()) return repl.status();
    auto slot_made = replication::CreateLogicalSlot(**repl, config.slot_name,
                                                    replication::SnapshotAction::kNothing);
    if (!slot_made.ok()) return slot_made.status();
    created_slot = true;
    if (absl::Status s = store.SetCreatedByUs(
            config.pipeline_id, true, record.publication_created_by_us || *created_publication);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = store.SaveCheckpoint(config.pipeline_id, slot_made->consistent_point);
        !s.ok()) {
      return s;
    }
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
  // Validates the sink options (URL, timeouts) before anything connects.
  auto client = sink::StreamLoadClient::Create(c.stream_load);
  if (!client.ok()) return client.status();
  runner->load_options_ = (*client)->options();
  runner->dispatcher_ = c.dispatcher;
  if (runner->dispatcher_ == nullptr) {
    auto own = sink::LoadDispatcher::Create();
    if (!own.ok()) return own.status();
    runner->own_dispatcher_ = std::move(*own);
    runner->dispatcher_ = runner->own_dispatcher_.get();
  }
  runner->sink_ = std::make_unique<sink::StarRocksSink>(c.sink, nullptr, *checkpoint);
  runner->handler_ = std::make_unique<Handler>(runner->sink_.get());

  postgres::ConnectOptions options;
  options.replication = true;
  options.connect_timeout = c.connect_timeout;
  auto conn = postgres::PgConnection::Connect(c.dsn, options);
  if (!conn.ok()) return conn.status();
  replication::StreamOptions stream_options;
  // Status updates must beat wal_sender_timeout even while backpressure
  // keeps the runner from reading the server's keepalive requests.
  if (auto timeout = (*conn)->Exec("SHOW wal_sender_timeout"); timeout.ok()) {
    absl::Duration d = ParsePgDuration(timeout->Get(0, 0));
    if (d > absl::ZeroDuration()) {
      stream_options.status_interval =
          std::clamp(d / 3, absl::Milliseconds(500), stream_options.status_interval);
    }
  }
  stream_options.start.slot_name = c.slot_name;
  stream_options.start.publications = {c.publication_name};
  stream_options.resume_after = *checkpoint;
  auto stream = replication::ReplicationStream::Start(std::move(*conn), stream_options);
  if (!stream.ok()) return stream.status();
  runner->stream_ = std::move(*stream);
  return runner;
}

PipelineRunner::PipelineRunner(RunnerConfig config, state::StateStore* store, Lsn checkpoint)
    : config_(std::move(config)), store_(store), checkpoint_(checkpoint) {
  mailbox_->wake = config_.wake;
}

PipelineRunner::~PipelineRunner() {
  CancelLoads();
  absl::MutexLock lock(&mailbox_->mu);
  mailbox_->closed = true;  // a checkpoint commit still under way is not reported
}

void PipelineRunner::CancelLoads() {
  // After Cancel() returns the dispatcher no longer reads the batch.
  for (const InFlight& load : in_flight_) dispatcher_->Cancel(load.load_id);
  in_flight_.clear();
  if (sink_ != nullptr) sink_->AbandonLoads();
  absl::MutexLock lock(&mailbox_->mu);
  mailbox_->loads.clear();
}

absl::Status PipelineRunner::ApplyCompletions() {
  std::vector<Completion> done;
  std::vector<CommitResult> commits;
  {
    absl::MutexLock lock(&mailbox_->mu);
    done.swap(mailbox_->loads);
    commits.swap(mailbox_->commits);
  }
  absl::Status first_error;
  for (const CommitResult& c : commits) {
    committing_ = kInvalidLsn;
    if (c.status.ok()) {
      checkpoint_ = std::max(checkpoint_, c.lsn);
    } else if (first_error.ok()) {
      first_error = c.status;
    }
  }
  for (Completion& c : done) {
    std::erase_if(in_flight_, [&](const InFlight& f) { return f.table_key == c.table_key; });
    load_attempts_ += static_cast<uint64_t>(c.result.attempts);
    if (!c.result.status.ok()) ++load_failures_;
    ++loads_completed_;
    load_time_ += c.result.latency;
    load_seconds_.Observe(absl::ToDoubleSeconds(c.result.latency));
    for (size_t i = 0; i < load_requests_.size(); ++i) {
      load_requests_[i] += c.result.attempt_results[i];
    }
    label_polls_ += static_cast<uint64_t>(c.result.label_polls);
    absl::Status s = sink_->CompleteLoad(c.table_key, c.result.status);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

void PipelineRunner::StartLoads(absl::Time now) {
  for (const auto& ticket : sink_->StartLoads(now, /*force=*/draining_ || sink_->ShouldPause())) {
    uint32_t key = ticket.table_key;
    uint64_t id =
        dispatcher_->Submit(&load_options_, sink::BatchRequest(config_.pipeline_id, *ticket.batch),
                            [mailbox = mailbox_, key](sink::LoadResult result) {
                              absl::MutexLock lock(&mailbox->mu);
                              if (mailbox->closed) return;
                              mailbox->loads.push_back(Completion{key, std::move(result)});
                              if (mailbox->wake) mailbox->wake();
                            });
    in_flight_.push_back(InFlight{key, id});
    ++loads_started_;
  }
}

absl::Status PipelineRunner::Checkpoint(absl::Time now) {
  // Durable in SQLite before PostgreSQL may discard the WAL: only a
  // committed checkpoint is confirmed.
  Lsn durable = sink_->durable_lsn();
  if (durable > checkpoint_ && !config_.commit_checkpoint) {
    if (absl::Status s = store_->SaveCheckpoint(config_.pipeline_id, durable); !s.ok()) return s;
    checkpoint_ = durable;
  } else if (durable > checkpoint_ && committing_ == kInvalidLsn) {
    committing_ = durable;
    config_.commit_checkpoint(durable, [mailbox = mailbox_, durable](absl::Status status) {
      absl::MutexLock lock(&mailbox->mu);
      if (mailbox->closed) return;
      mailbox->commits.push_back(CommitResult{durable, std::move(status)});
      if (mailbox->wake) mailbox->wake();
    });
  }
  stream_->ConfirmDurable(checkpoint_);
  return stream_->SendStatusIfDue(now);
}

absl::StatusOr<RunnerWants> PipelineRunner::Advance(absl::Time now) {
  if (closed_) return absl::FailedPreconditionError("the replication session is closed");
  if (absl::Status s = ApplyCompletions(); !s.ok()) return s;
  RunnerWants wants;
  if (!draining_ && !sink_->ShouldPause()) {
    auto pumped = stream_->Pump(*handler_, config_.max_messages_per_step);
    if (!pumped.ok()) return pumped.status();
    wants.again = !pumped->would_block;
    wants.read = pumped->would_block;
    // CPU per row matters more than half a millisecond of latency (as in
    // ReplicationStream::PollAndPump).
    wants.coalesce = pumped->would_block && pumped->messages > 0 && pumped->messages < 64;
    now = absl::Now();
  }
  StartLoads(now);
  if (absl::Status s = Checkpoint(now); !s.ok()) return s;
  wants.write = stream_->wants_write();
  wants.wake_at = stream_->next_status_time();
  if (!draining_) wants.wake_at = std::min(wants.wake_at, sink_->NextFlushTime());
  // Backpressured: the socket is left alone until loads free memory (a
  // completion wakes the runner); status updates still go out on time.
  return wants;
}

void PipelineRunner::BeginDrain() { draining_ = true; }

bool PipelineRunner::Drained() const {
  return draining_ && sink_->Idle() && checkpoint_ >= sink_->durable_lsn();
}

absl::Status PipelineRunner::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  CancelLoads();
  return stream_->Close();
}

absl::Status PipelineRunner::Step(absl::Duration max_wait) {
  auto wants = Advance(absl::Now());
  if (!wants.ok()) return wants.status();
  if (wants->again) return absl::OkStatus();
  absl::Time now = absl::Now();
  // Load completions do not wake poll(): look again every few milliseconds
  // while loads are in flight.
  absl::Time until = std::min(now + max_wait, wants->wake_at);
  if (!in_flight_.empty() || committing_ != kInvalidLsn) {
    until = std::min(until, now + absl::Milliseconds(5));
  }
  if (until <= now) return absl::OkStatus();
  pollfd fd{stream_->socket(), 0, 0};
  if (wants->read) fd.events |= POLLIN;
  if (wants->write) fd.events |= POLLOUT;
  int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(until - now)) + 1;
  if (::poll(&fd, 1, timeout_ms) < 0 && errno != EINTR) {
    return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status PipelineRunner::Stop(absl::Duration timeout) {
  BeginDrain();
  absl::Time deadline = absl::Now() + timeout;
  absl::Status status;
  while (!Drained()) {
    if (absl::Now() > deadline) {
      status = absl::DeadlineExceededError("buffered rows were not loaded in time");
      break;
    }
    status = Step(absl::Milliseconds(50));
    if (!status.ok()) break;
  }
  absl::Status closed = Close();
  return status.ok() ? closed : status;
}

RunnerStats PipelineRunner::stats() const {
  RunnerStats s;
  s.sink = sink_->stats();
  s.bytes_received = stream_->bytes_received();
  s.received_lsn = stream_->received_lsn();
  s.flush_lsn = stream_->flush_lsn();
  s.loads_started = loads_started_;
  s.load_attempts = load_attempts_;
  s.load_failures = load_failures_;
  s.loads_completed = loads_completed_;
  s.load_time = load_time_;
  s.load_seconds = load_seconds_;
  s.load_requests = load_requests_;
  s.label_polls = label_polls_;
  s.durable_commit_time = PgTime(s.sink.durable_commit_time);
  s.buffered_bytes = sink_->buffered_bytes();
  s.loads_in_flight = sink_->loads_in_flight();
  s.backpressured = sink_->ShouldPause();
  auto pg_time = [](pgoutput::PgTimestamp t) {
    return absl::FromUnixMicros(t + pgoutput::kPgEpochUnixSeconds * 1000000);
  };
  if (auto pending = sink_->oldest_pending_commit_time()) {
    s.oldest_pending_commit_time = pg_time(*pending);
  }
  if (sink_->last_commit_time() != 0) s.last_commit_time = pg_time(sink_->last_commit_time());
  return s;
}

}  // namespace dbmazz::pipeline
