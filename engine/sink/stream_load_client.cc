#include "engine/sink/stream_load_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <thread>

#include "absl/time/time.h"
#include "engine/sink/http_transfer.h"
#include "engine/sink/load_operation.h"

namespace dbmazz::sink {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kCancelPollInterval{100};

bool IsCancelled(const std::function<bool()>& cancelled) { return cancelled && cancelled(); }

// The steady clock as an absl::Time (for LoadOperation, which only compares
// and adds times).
absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(Clock::now().time_since_epoch());
}

// Sleeps until `at` (a MonotonicNow() time), polling `cancelled` every
// kCancelPollInterval; false if cancelled (checked at least once).
bool SleepUntil(absl::Time at, const std::function<bool()>& cancelled) {
  while (true) {
    if (IsCancelled(cancelled)) return false;
    absl::Duration left = at - MonotonicNow();
    if (left <= absl::ZeroDuration()) return true;
    std::this_thread::sleep_for(
        cancelled ? std::min(absl::ToChronoMilliseconds(absl::Ceil(left, absl::Milliseconds(1))),
                             kCancelPollInterval)
                  : absl::ToChronoNanoseconds(left));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamLoadClient>> StreamLoadClient::Create(
    StreamLoadOptions options) {
  if (absl::Status st = ValidateStreamLoadOptions(options); !st.ok()) return st;
  while (!options.fe_url.empty() && options.fe_url.back() == '/') options.fe_url.pop_back();
  HttpTransfer::InitLibcurl();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    curl_easy_cleanup(curl);
    return absl::InternalError("curl_multi_init failed");
  }
  return std::unique_ptr<StreamLoadClient>(new StreamLoadClient(std::move(options), curl, multi));
}

StreamLoadClient::StreamLoadClient(StreamLoadOptions options, void* curl, void* multi)
    : options_(std::move(options)), curl_(curl), multi_(multi), rng_(std::random_device{}()) {}

StreamLoadClient::~StreamLoadClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));  // Closes the cached connections.
}

absl::StatusOr<HttpReply> StreamLoadClient::Perform(const HttpRequest& request,
                                                    const std::function<bool()>& cancelled) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpTransfer transfer(options_, request);
  // Drops every option (they point at `transfer`) before it goes out of
  // scope; the connection cache lives in the multi handle.
  struct ResetOnExit {
    CURL* curl;
    ~ResetOnExit() { curl_easy_reset(curl); }
  } reset_on_exit{curl};
  if (absl::Status st = transfer.Attach(curl); !st.ok()) return st;

  Clock::time_point start = Clock::now();
  bool was_cancelled = false;
  CURLcode rc = static_cast<CURLcode>(Drive(cancelled, &was_cancelled));
  stats_.last_latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  absl::StatusOr<HttpReply> reply = transfer.Finish(curl, rc, was_cancelled);
  stats_.bytes_sent += transfer.bytes_sent();
  stats_.connections_opened += transfer.connections_opened();
  return reply;
}

int StreamLoadClient::Drive(const std::function<bool()>& cancelled, bool* was_cancelled) {
  CURL* curl = static_cast<CURL*>(curl_);
  CURLM* multi = static_cast<CURLM*>(multi_);
  if (curl_multi_add_handle(multi, curl) != CURLM_OK) return static_cast<int>(CURLE_FAILED_INIT);
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (IsCancelled(cancelled)) {
      *was_cancelled = true;
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    // Wakes up on socket activity, libcurl's own timers, or after the
    // cancellation poll interval.
    if (curl_multi_poll(multi, nullptr, 0, static_cast<int>(kCancelPollInterval.count()),
                        nullptr) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
  }
  // Removing an unfinished transfer aborts it and closes its connection.
  curl_multi_remove_handle(multi, curl);
  return static_cast<int>(result);
}

absl::StatusOr<LoadResponse> StreamLoadClient::SendOnce(const LoadRequest& request,
                                                        const std::function<bool()>& cancelled) {
  absl::StatusOr<HttpRequest> http = BuildStreamLoadRequest(options_, request);
  if (!http.ok()) return http.status();
  ++stats_.attempts;
  absl::StatusOr<HttpReply> reply = Perform(*http, cancelled);
  if (!reply.ok()) return reply.status();
  return ParseStreamLoadReply(*reply);
}

absl::StatusOr<LoadState> StreamLoadClient::GetLoadState(std::string_view label,
                                                         const std::function<bool()>& cancelled) {
  absl::StatusOr<HttpRequest> http = BuildLoadStateRequest(options_, label);
  if (!http.ok()) return http.status();
  ++stats_.label_polls;
  absl::StatusOr<HttpReply> reply = Perform(*http, cancelled);
  if (!reply.ok()) return reply.status();
  return ParseLoadStateResponse(reply->body);
}

absl::Status StreamLoadClient::Load(const LoadRequest& request,
                                    const std::function<bool()>& cancelled) {
  LoadOperation op(options_, request, &rng_);
  LoadNext next = op.Start(MonotonicNow());
  while (next.action != LoadAction::kDone) {
    // SleepUntil checks `cancelled` even when the action is due now.
    if (!SleepUntil(next.at, cancelled)) {
      next = op.Cancel();
    } else if (next.action == LoadAction::kSend) {
      absl::StatusOr<LoadResponse> response = SendOnce(request, cancelled);
      next = op.OnSent(response, MonotonicNow());
    } else {
      absl::StatusOr<LoadState> state = GetLoadState(request.label, cancelled);
      next = op.OnState(state, MonotonicNow());
    }
  }
  stats_.retries += op.retries();
  if (op.status().ok()) {
    ++stats_.loads_succeeded;
  } else {
    ++stats_.loads_failed;
  }
  return op.status();
}

}  // namespace dbmazz::sink
