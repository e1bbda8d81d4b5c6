#include "tests/support/starrocks_emulator/load_executor.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/starrocks_emulator/basic_auth.h"

namespace dbmazz::starrocks_emulator {
namespace {

// A BE worker thread's body buffer, kept between its requests: bodies are
// megabytes, and faulting in fresh pages for each one costs more than
// parsing it. Buffers past kKeepBytes are released after the request.
class ReusedBody {
 public:
  ReusedBody() { Buffer().clear(); }
  ~ReusedBody() {
    if (Buffer().capacity() > kKeepBytes) {
      std::string().swap(Buffer());
    } else {
      Buffer().clear();
    }
  }
  ReusedBody(const ReusedBody&) = delete;
  ReusedBody& operator=(const ReusedBody&) = delete;

  std::string& get() { return Buffer(); }

 private:
  static constexpr size_t kKeepBytes = 64 << 20;
  static std::string& Buffer() {
    thread_local std::string buffer;
    return buffer;
  }
};

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng();
  uint64_t b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf),
                "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
                (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                static_cast<uint64_t>(b & 0xffffffffffffull));
  return buf;
}

void SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

LoadOutcome HttpError(const FaultRule& rule) {
  LoadOutcome o;
  o.kind = LoadOutcome::Kind::kHttpError;
  o.http_status = rule.http_status;
  o.http_body = rule.body;
  return o;
}

std::vector<std::pair<std::string, std::string>> RedactedHeaders(const LoadRequest& request) {
  std::vector<std::pair<std::string, std::string>> out = request.headers;
  for (auto& [name, value] : out) {
    if (absl::EqualsIgnoreCase(name, "Authorization")) value = "<redacted>";
  }
  return out;
}

LoadOutcome Drop() {
  LoadOutcome o;
  o.kind = LoadOutcome::Kind::kDrop;
  return o;
}

}  // namespace

struct LoadExecutor::Context {
  explicit Context(const LoadRequest& r) : request(r) {}
  const LoadRequest& request;
  Clock::time_point start = Clock::now();
  LoadRecord record;
  LoadResult result;
  LoadOptions options;
  std::optional<LoadPlan> plan;
  TableData* table = nullptr;
  bool begun = false;
};

LoadExecutor::LoadExecutor(EmulatorState* state) : state_(state) {}

std::optional<LoadOutcome> LoadExecutor::HeaderFaults(Context& ctx) {
  const std::string& label = ctx.result.label;
  SleepMs(state_->faults.TakeDelay(FaultTarget::kBe, FaultPhase::kHeader, ctx.request.db,
                                   ctx.request.table, label));
  auto rule = state_->faults.TakeAction(FaultTarget::kBe, FaultPhase::kHeader, ctx.request.db,
                                        ctx.request.table, label);
  if (!rule) return std::nullopt;
  ctx.record.fault = FaultActionName(rule->action);
  switch (rule->action) {
    case FaultAction::kHttpError:
      return HttpError(*rule);
    case FaultAction::kDrop:
      return Drop();
    default: {
      LoadOutcome o;
      o.result = ctx.result;
      o.result.status = LoadStatus::kFail;
      o.result.message = rule->message;
      return o;
    }
  }
}

bool LoadExecutor::CheckHeaders(Context& ctx, bool begin) {
  const LoadRequest& req = ctx.request;
  LoadResult& r = ctx.result;
  auto fail = [&](absl::string_view message) {
    r.status = LoadStatus::kFail;
    r.message = std::string(message);
    if (ctx.begun) Abort(ctx, r.message);
    return false;
  };

  auto auth = ParseBasicAuth(req.HeaderOr("Authorization"));
  if (!auth) return fail("no valid Basic authorization");
  ctx.record.user = auth->user;
  if (absl::Status st = ParsePreBeginOptions(req, state_->config.json_size_limit, &ctx.options);
      !st.ok()) {
    return fail(st.message());
  }

  Clock::time_point begin_start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->catalog.Authenticate(auth->user, auth->password)) {
      return fail(absl::StrCat("Access denied for user '", auth->user, "'@'", req.remote_host,
                               "' (using password: ", auth->password.empty() ? "NO" : "YES", ")"));
    }
    if (!IsValidLabel(r.label)) {
      return fail(absl::StrCat("Label format error. regex: ^[-\\w]{1,128}$, label: ", r.label));
    }
    if (!state_->catalog.HasDatabase(req.db)) {
      return fail(absl::StrCat("unknown database, database=", req.db));
    }
    ctx.table = state_->catalog.FindTable(req.db, req.table);
    if (ctx.table == nullptr) {
      return fail(absl::StrCat("unknown table \"", req.db, ".", req.table, "\""));
    }
    std::string job_status;
    bool free_label;
    if (begin) {
      int64_t txn_id = state_->next_txn_id;
      free_label = state_->labels.Begin(req.db, r.label, txn_id, &job_status);
      if (free_label) {
        ++state_->next_txn_id;
        r.txn_id = txn_id;
        ctx.begun = true;
      }
    } else {
      auto held = state_->labels.HeldStatus(req.db, r.label);
      free_label = !held;
      if (held) job_status = *held;
    }
    if (!free_label) {
      r.status = LoadStatus::kLabelAlreadyExists;
      r.existing_job_status = job_status;
      r.message = absl::StrCat("Label [", r.label, "] has already been used.");
      return false;
    }
  }
  r.begin_txn_ms = MsSince(begin_start);

  Clock::time_point plan_start = Clock::now();
  if (absl::Status st = ParsePlanOptions(req, &ctx.options); !st.ok()) return fail(st.message());
  auto plan = MakeLoadPlan(ctx.table->spec(), ctx.options);
  if (!plan.ok()) return fail(plan.status().message());
  ctx.plan = *std::move(plan);
  r.plan_ms = MsSince(plan_start);
  return true;
}

void LoadExecutor::Abort(Context& ctx, const std::string& reason) {
  if (!ctx.begun) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->labels.Set(ctx.request.db, ctx.result.label, TxnState::kAborted, std::nullopt,
                     TxnState::kVisible, reason);
  ctx.begun = false;
}

std::string LoadExecutor::StoreErrorLog(Context& ctx, const std::vector<std::string>& lines) {
  std::string file = absl::StrCat("error_log_", ctx.result.txn_id, "_", ctx.result.label);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->error_logs[file] = absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
  }
  return absl::StrCat("http://", state_->config.advertised_host, ":", state_->config.be_port,
                      "/api/_load_error_log?file=", file);
}

LoadOutcome LoadExecutor::Finish(Context& ctx, LoadOutcome outcome) {
  if (outcome.kind != LoadOutcome::Kind::kRespond) outcome.result = ctx.result;
  outcome.result.load_time_ms = MsSince(ctx.start);
  LoadRecord& rec = ctx.record;
  const LoadResult& r = outcome.result;
  rec.end_unix_ms = UnixMs();
  rec.label = r.label;
  rec.txn_id = r.txn_id;
  rec.message = r.message;
  rec.existing_job_status = r.existing_job_status;
  rec.total_rows = r.total_rows;
  rec.loaded_rows = r.loaded_rows;
  rec.filtered_rows = r.filtered_rows;
  rec.unselected_rows = r.unselected_rows;
  rec.load_bytes = r.load_bytes;
  switch (outcome.kind) {
    case LoadOutcome::Kind::kRespond:
      rec.status = LoadStatusName(r.status);
      break;
    case LoadOutcome::Kind::kHttpError:
      rec.status = absl::StrCat("HTTP ", outcome.http_status);
      break;
    case LoadOutcome::Kind::kDrop:
      rec.status = "DROPPED";
      break;
  }
  state_->log.AddLoad(std::move(rec));
  return outcome;
}

std::optional<LoadOutcome> LoadExecutor::PreCheck(const LoadRequest& request) {
  Context ctx(request);
  ctx.record.start_unix_ms = UnixMs();
  ctx.record.db = request.db;
  ctx.record.table = request.table;
  ctx.record.headers = RedactedHeaders(request);
  ctx.result.label = request.HeaderOr("label");
  if (ctx.result.label.empty()) ctx.result.label = NewUuid();
  if (auto o = HeaderFaults(ctx)) {
    state_->be_requests++;
    return Finish(ctx, *std::move(o));
  }
  if (CheckHeaders(ctx, /*begin=*/false)) return std::nullopt;
  state_->be_requests++;
  LoadOutcome o;
  o.result = ctx.result;
  return Finish(ctx, std::move(o));
}

LoadOutcome LoadExecutor::Execute(const LoadRequest& request, const BodyReader& read_body,
                                  bool prechecked) {
  state_->be_requests++;
  Context ctx(request);
  ctx.record.start_unix_ms = UnixMs();
  ctx.record.db = request.db;
  ctx.record.table = request.table;
  ctx.record.headers = RedactedHeaders(request);
  LoadResult& r = ctx.result;
  r.label = request.HeaderOr("label");
  if (r.label.empty()) r.label = NewUuid();
  ReusedBody reused_body;
  std::string& body = reused_body.get();

  if (!prechecked) {
    if (auto o = HeaderFaults(ctx)) {
      if (o->kind != LoadOutcome::Kind::kDrop) (void)read_body(&body);
      return Finish(ctx, *std::move(o));
    }
  }
  if (!CheckHeaders(ctx, /*begin=*/true)) {
    (void)read_body(&body);
    LoadOutcome o;
    o.result = r;
    return Finish(ctx, std::move(o));
  }

  Clock::time_point read_start = Clock::now();
  if (!read_body(&body)) {
    Abort(ctx, "the connection was closed before the whole body was received");
    return Finish(ctx, Drop());
  }
  r.read_data_ms = MsSince(read_start);
  r.load_bytes = static_cast<int64_t>(body.size());

  // While this delay runs the label is held: "Label Already Exists" with
  // ExistingJobStatus RUNNING, get_load_state PREPARE.
  SleepMs(state_->faults.TakeDelay(FaultTarget::kBe, FaultPhase::kBeforeApply, request.db,
                                   request.table, r.label));

  // The FE aborts transactions that outlive the load's timeout.
  if (MsSince(ctx.start) > ctx.options.timeout_s * 1000) {
    r.status = LoadStatus::kFail;
    r.message = absl::StrCat("transaction ", r.txn_id, " has been aborted: timeout by txn manager");
    Abort(ctx, "timeout by txn manager");
    LoadOutcome timed_out;
    timed_out.result = r;
    return Finish(ctx, std::move(timed_out));
  }

  Clock::time_point write_start = Clock::now();
  auto converted = ConvertBody(*ctx.plan, body);
  r.write_data_ms = MsSince(write_start);
  LoadOutcome out;
  if (!converted.ok()) {
    r.status = LoadStatus::kFail;
    r.message = std::string(converted.status().message());
    r.error_url = StoreErrorLog(ctx, {absl::StrCat("Error: ", r.message, ". Row: ")});
    Abort(ctx, r.message);
    out.result = r;
    return Finish(ctx, std::move(out));
  }
  r.total_rows = converted->total_rows;
  r.filtered_rows = converted->filtered_rows;
  r.loaded_rows = converted->total_rows - converted->filtered_rows;
  if (!converted->error_lines.empty()) r.error_url = StoreErrorLog(ctx, converted->error_lines);
  int64_t selected = r.total_rows - r.unselected_rows;
  if (selected > 0 && static_cast<double>(r.filtered_rows) / static_cast<double>(selected) >
                          ctx.options.max_filter_ratio) {
    r.status = LoadStatus::kFail;
    r.message = "too many filtered rows";
    Abort(ctx, r.message);
    out.result = r;
    return Finish(ctx, std::move(out));
  }

  if (auto rule = state_->faults.TakeAction(FaultTarget::kBe, FaultPhase::kBeforeApply, request.db,
                                            request.table, r.label)) {
    ctx.record.fault = FaultActionName(rule->action);
    Abort(ctx, rule->message.empty() ? "fault injected" : rule->message);
    if (rule->action == FaultAction::kHttpError) return Finish(ctx, HttpError(*rule));
    if (rule->action == FaultAction::kDrop) return Finish(ctx, Drop());
    r.status = LoadStatus::kFail;
    r.message = rule->message;
    out.result = r;
    return Finish(ctx, std::move(out));
  }

  auto after = state_->faults.TakeAction(FaultTarget::kBe, FaultPhase::kAfterApply, request.db,
                                         request.table, r.label);
  Clock::time_point commit_start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    TableData::ApplyOptions apply;
    if (ctx.plan->partial_update) apply.written_columns = &ctx.plan->written_columns;
    apply.merge_column = ctx.plan->merge_column;
    ctx.table->Apply(converted->ops, apply);
    if (after && after->action == FaultAction::kPublishTimeout) {
      state_->labels.Set(request.db, r.label, TxnState::kCommitted,
                         Clock::now() + std::chrono::milliseconds(after->visible_after_ms),
                         TxnState::kVisible);
    } else {
      state_->labels.Set(request.db, r.label, TxnState::kVisible);
    }
  }
  ctx.begun = false;
  ctx.record.applied = true;
  r.commit_publish_ms = MsSince(commit_start);
  r.status = LoadStatus::kSuccess;
  r.message = "OK";

  SleepMs(state_->faults.TakeDelay(FaultTarget::kBe, FaultPhase::kAfterApply, request.db,
                                   request.table, r.label));
  if (after) {
    ctx.record.fault = FaultActionName(after->action);
    switch (after->action) {
      case FaultAction::kPublishTimeout:
        r.status = LoadStatus::kPublishTimeout;
        r.message = "transaction commit successfully, BUT data will be visible later";
        break;
      case FaultAction::kFail:
        r.status = LoadStatus::kFail;
        r.message = after->message;
        break;
      case FaultAction::kHttpError:
        return Finish(ctx, HttpError(*after));
      case FaultAction::kDrop:
        return Finish(ctx, Drop());
      case FaultAction::kDelay:
        break;
    }
  }
  out.result = r;
  return Finish(ctx, std::move(out));
}

}  // namespace dbmazz::starrocks_emulator
