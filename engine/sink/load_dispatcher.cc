#include "engine/sink/load_dispatcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/sink/http_transfer.h"
#include "engine/sink/load_operation.h"
#include "engine/sink/stream_load_request.h"

namespace dbmazz::sink {
namespace {

// Longest curl_multi_poll() wait without a timer due (Submit/Cancel and
// destruction wake the thread at once through curl_multi_wakeup()).
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

// The steady clock as an absl::Time (LoadOperation only compares and adds).
absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace

class LoadDispatcher::Impl {
 public:
  explicit Impl(CURLM* multi) : multi_(multi), rng_(std::random_device{}()) {
    thread_ = std::thread([this] { Run(); });
    thread_id_ = thread_.get_id();
  }

  ~Impl() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);  // Closes the cached connections.
  }

  uint64_t Submit(const StreamLoadOptions* options, LoadRequest request, Callback done) {
    auto load = std::make_unique<Load>();
    load->options = options;
    load->request = std::move(request);
    load->done = std::move(done);
    load->submitted = MonotonicNow();
    uint64_t id;
    {
      absl::MutexLock lock(&mu_);
      id = next_id_++;
      load->id = id;
      active_.insert(id);
      queued_.push_back(std::move(load));
    }
    curl_multi_wakeup(multi_);
    return id;
  }

  void Cancel(uint64_t id) {
    if (std::this_thread::get_id() == thread_id_) {
      CancelOnDispatcherThread(id);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (DropQueued(id)) return;
    if (active_.contains(id)) {
      cancel_requests_.insert(id);
      curl_multi_wakeup(multi_);
    }
    // Until the dispatcher removed it, or its completion callback returned.
    auto gone = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !active_.contains(id) && running_callback_ != id;
    };
    mu_.Await(absl::Condition(&gone));
  }

  size_t in_flight() const {
    absl::MutexLock lock(&mu_);
    return active_.size();
  }

 private:
  struct Load {
    uint64_t id = 0;
    const StreamLoadOptions* options = nullptr;
    LoadRequest request;
    Callback done;
    absl::Time submitted;
    std::optional<LoadOperation> op;
    LoadAction pending = LoadAction::kDone;  // Waiting for its timer or in transfer.
    uint64_t timer_seq = 0;                  // Of its live timer; 0: none.
    std::unique_ptr<HttpTransfer> transfer;  // With `easy`, while in transfer.
    CURL* easy = nullptr;
    int64_t bytes_sent = 0;
  };
  struct Timer {
    absl::Time at;
    uint64_t seq;
    uint64_t id;
    bool operator>(const Timer& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };

  void Run() {
    while (true) {
      std::vector<std::unique_ptr<Load>> admitted;
      absl::flat_hash_set<uint64_t> cancels;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) break;
        admitted.swap(queued_);
        cancels.swap(cancel_requests_);
      }
      for (std::unique_ptr<Load>& load : admitted) Admit(std::move(load));
      for (uint64_t id : cancels) Remove(id);
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        OnTransferDone(easy, rc);  // Invalidates msg.
      }
      FireTimers();
      // Also wakes up for libcurl's own timeouts, which are shorter.
      absl::Duration wait = kMaxPollWait;
      if (!timers_.empty()) {
        wait = std::clamp(timers_.top().at - MonotonicNow(), absl::ZeroDuration(), kMaxPollWait);
      }
      int wait_ms =
          static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
      curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
    }
    // Stopping: every load goes, without callbacks.
    for (auto& [id, load] : loads_) DetachTransfer(*load);
    loads_.clear();
    timers_ = {};
    absl::MutexLock lock(&mu_);
    queued_.clear();
    cancel_requests_.clear();
    active_.clear();
  }

  void Admit(std::unique_ptr<Load> load) {
    if (load->options == nullptr) {
      Complete(std::move(load), absl::InvalidArgumentError("Submit() without StreamLoadOptions"));
      return;
    }
    if (absl::Status st = ValidateStreamLoadOptions(*load->options); !st.ok()) {
      Complete(std::move(load),
               absl::InvalidArgumentError(absl::StrCat("bad StreamLoadOptions: ", st.message())));
      return;
    }
    Load& ref = *load;
    ref.op.emplace(*ref.options, ref.request, &rng_);
    loads_[ref.id] = std::move(load);
    absl::Time now = MonotonicNow();
    Apply(ref, ref.op->Start(now), now);
  }

  // Acts on the operation's decision. `load` may be gone afterwards.
  void Apply(Load& load, LoadNext next, absl::Time now) {
    if (next.action == LoadAction::kDone) {
      auto it = loads_.find(load.id);
      std::unique_ptr<Load> owned = std::move(it->second);
      loads_.erase(it);
      absl::Status status = owned->op->status();
      Complete(std::move(owned), std::move(status));
      return;
    }
    load.pending = next.action;
    if (next.at <= now) {
      StartTransfer(load);
      return;
    }
    load.timer_seq = ++timer_seq_;
    timers_.push(Timer{next.at, load.timer_seq, load.id});
  }

  void StartTransfer(Load& load) {
    absl::StatusOr<HttpRequest> http =
        load.pending == LoadAction::kSend
            ? BuildStreamLoadRequest(*load.options, load.request)
            : BuildLoadStateRequest(*load.options, load.request.label);
    if (!http.ok()) return Report(load, http.status());
    load.transfer = std::make_unique<HttpTransfer>(*load.options, *std::move(http));
    load.easy = curl_easy_init();
    if (load.easy == nullptr) return Report(load, absl::InternalError("curl_easy_init failed"));
    if (absl::Status st = load.transfer->Attach(load.easy); !st.ok()) return Report(load, st);
    curl_easy_setopt(load.easy, CURLOPT_PRIVATE, static_cast<void*>(&load));
    if (curl_multi_add_handle(multi_, load.easy) != CURLM_OK) {
      return Report(load, absl::InternalError("curl_multi_add_handle failed"));
    }
  }

  void OnTransferDone(CURL* easy, CURLcode rc) {
    void* data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &data);
    Load& load = *static_cast<Load*>(data);
    absl::StatusOr<HttpReply> reply = load.transfer->Finish(easy, rc, /*cancelled=*/false);
    if (!reply.ok()) return Report(load, reply.status());
    if (load.pending == LoadAction::kSend) {
      absl::StatusOr<LoadResponse> response = ParseStreamLoadReply(*reply);
      return Report(load, response);
    }
    absl::StatusOr<LoadState> state = ParseLoadStateResponse(reply->body);
    return Report(load, state);
  }

  // Ends the pending action with `outcome` (its error, or the parsed answer
  // of the kind `pending` asked for).
  template <typename T>
  void Report(Load& load, const absl::StatusOr<T>& outcome) {
    DetachTransfer(load);
    absl::Time now = MonotonicNow();
    LoadNext next;
    if constexpr (std::is_same_v<T, LoadResponse>) {
      next = load.op->OnSent(outcome, now);
    } else if constexpr (std::is_same_v<T, LoadState>) {
      next = load.op->OnState(outcome, now);
    } else {
      next = load.pending == LoadAction::kSend
                 ? load.op->OnSent(absl::StatusOr<LoadResponse>(outcome.status()), now)
                 : load.op->OnState(absl::StatusOr<LoadState>(outcome.status()), now);
    }
    Apply(load, next, now);
  }
  void Report(Load& load, const absl::Status& error) {
    Report(load, absl::StatusOr<HttpReply>(error));
  }

  void DetachTransfer(Load& load) {
    if (load.easy != nullptr) {
      // Removing an unfinished transfer aborts it and closes its connection.
      curl_multi_remove_handle(multi_, load.easy);
      curl_easy_cleanup(load.easy);
      load.easy = nullptr;
    }
    if (load.transfer != nullptr) {
      load.bytes_sent += load.transfer->bytes_sent();
      load.transfer.reset();
    }
  }

  void FireTimers() {
    absl::Time now = MonotonicNow();
    while (!timers_.empty() && timers_.top().at <= now) {
      Timer timer = timers_.top();
      timers_.pop();
      auto it = loads_.find(timer.id);
      if (it == loads_.end() || it->second->timer_seq != timer.seq) continue;  // Stale.
      it->second->timer_seq = 0;
      StartTransfer(*it->second);
    }
  }

  // Hands the result to the callback unless the load was cancelled meanwhile.
  void Complete(std::unique_ptr<Load> load, absl::Status status) {
    LoadResult result;
    result.status = std::move(status);
    if (load->op.has_value()) {
      result.attempts = load->op->attempts();
      result.label_polls = load->op->label_polls();
      result.attempt_results = load->op->attempt_results();
    }
    result.bytes_sent = load->bytes_sent;
    result.latency = MonotonicNow() - load->submitted;
    const uint64_t id = load->id;
    Callback done = std::move(load->done);
    load.reset();
    {
      absl::MutexLock lock(&mu_);
      active_.erase(id);
      if (cancel_requests_.erase(id) > 0) return;
      running_callback_ = id;
    }
    if (done) done(std::move(result));
    absl::MutexLock lock(&mu_);
    running_callback_ = 0;
  }

  // Dispatcher thread: forgets the load `id` (no callback).
  void Remove(uint64_t id) {
    if (auto it = loads_.find(id); it != loads_.end()) {
      DetachTransfer(*it->second);
      loads_.erase(it);  // Its timer, if any, becomes stale.
    }
    absl::MutexLock lock(&mu_);
    active_.erase(id);
  }

  // From a callback: nothing else runs on the thread, so no waiting.
  void CancelOnDispatcherThread(uint64_t id) {
    {
      absl::MutexLock lock(&mu_);
      if (DropQueued(id)) return;
      cancel_requests_.erase(id);
    }
    Remove(id);
  }

  bool DropQueued(uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = std::find_if(queued_.begin(), queued_.end(),
                           [id](const std::unique_ptr<Load>& l) { return l->id == id; });
    if (it == queued_.end()) return false;
    queued_.erase(it);
    active_.erase(id);
    return true;
  }

  CURLM* const multi_;
  std::thread thread_;
  std::thread::id thread_id_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::unique_ptr<Load>> queued_ ABSL_GUARDED_BY(mu_);  // Submitted, not admitted.
  absl::flat_hash_set<uint64_t> cancel_requests_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> active_ ABSL_GUARDED_BY(mu_);  // Queued or admitted.
  uint64_t running_callback_ ABSL_GUARDED_BY(mu_) = 0;         // Id whose callback runs.

  // Dispatcher thread only.
  std::mt19937_64 rng_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Load>> loads_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timer_seq_ = 0;
};

absl::StatusOr<std::unique_ptr<LoadDispatcher>> LoadDispatcher::Create() {
  HttpTransfer::InitLibcurl();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  return std::unique_ptr<LoadDispatcher>(new LoadDispatcher(std::make_unique<Impl>(multi)));
}

LoadDispatcher::LoadDispatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LoadDispatcher::~LoadDispatcher() = default;

uint64_t LoadDispatcher::Submit(const StreamLoadOptions* options, LoadRequest request,
                                Callback done) {
  return impl_->Submit(options, std::move(request), std::move(done));
}

void LoadDispatcher::Cancel(uint64_t id) { impl_->Cancel(id); }

size_t LoadDispatcher::in_flight() const { return impl_->in_flight(); }

}  // namespace dbmazz::sink
