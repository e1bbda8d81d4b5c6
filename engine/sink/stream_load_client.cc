#include "engine/sink/stream_load_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/sink/fe_url.h"
#include "engine/sink/label.h"

namespace dbmazz::sink {

struct StreamLoadClient::HttpReply {
  long status = 0;
  std::string body;
  std::string effective_url;
};

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kCancelPollInterval{100};
constexpr long kMaxRedirects = 5;  // FE -> leader FE -> BE, with room to spare.

// Headers every request sets itself; extra_headers may not repeat them.
constexpr std::string_view kReservedHeaders[] = {
    "expect",
    "label",
    "format",
    "strip_outer_array",
    "ignore_json_size",
    "max_filter_ratio",
    "columns",
    "partial_update",
    "partial_update_mode",
    "authorization",
    "host",
    "content-length",
    "transfer-encoding",
};

struct UploadCursor {
  std::string_view body;
  size_t offset = 0;
  int64_t* bytes_sent = nullptr;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  size_t n = std::min(size * nitems, cursor->body.size() - cursor->offset);
  if (n > 0) std::memcpy(buffer, cursor->body.data() + cursor->offset, n);
  cursor->offset += n;
  *cursor->bytes_sent += static_cast<int64_t>(n);
  return n;
}

// Lets libcurl rewind the body to re-send it after a redirect.
int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > cursor->body.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  cursor->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

struct ResponseSink {
  std::string* body = nullptr;
  size_t limit = 0;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* sink = static_cast<ResponseSink*>(userdata);
  size_t n = size * nmemb;
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // Aborts the transfer (CURLE_WRITE_ERROR).
  }
  sink->body->append(data, n);
  return n;
}

bool IsCancelled(const std::function<bool()>& cancelled) { return cancelled && cancelled(); }

absl::StatusCode CodeForCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::StatusCode::kInvalidArgument;
    case CURLE_OUT_OF_MEMORY:
      return absl::StatusCode::kResourceExhausted;
    default:
      // Refused, reset, DNS, TLS, too many redirects, partial answers, ...
      return absl::StatusCode::kUnavailable;
  }
}

absl::StatusCode CodeForHttpStatus(long status) {
  if (status == 401) return absl::StatusCode::kUnauthenticated;
  if (status == 403) return absl::StatusCode::kPermissionDenied;
  if (status == 404) return absl::StatusCode::kNotFound;
  if (status == 408 || status == 429) return absl::StatusCode::kUnavailable;
  if (status >= 400 && status < 500) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnavailable;  // 5xx, unfollowed 3xx, 1xx.
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<StreamLoadClient>> StreamLoadClient::Create(
    StreamLoadOptions options) {
  if (absl::Status st = ValidateFeUrl(options.fe_url); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("fe_url ", st.message()));
  }
  while (!options.fe_url.empty() && options.fe_url.back() == '/') options.fe_url.pop_back();
  if (options.database.empty()) return absl::InvalidArgumentError("database is empty");
  if (options.user.empty()) return absl::InvalidArgumentError("user is empty");
  if (options.connect_timeout <= milliseconds::zero() ||
      options.request_timeout <= milliseconds::zero() ||
      options.expect_100_timeout <= milliseconds::zero()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  if (options.max_retries < 0) return absl::InvalidArgumentError("max_retries is negative");
  if (options.initial_backoff < milliseconds::zero() ||
      options.max_backoff < options.initial_backoff ||
      options.label_wait_timeout < milliseconds::zero()) {
    return absl::InvalidArgumentError(
        "backoffs must satisfy 0 <= initial_backoff <= max_backoff and label_wait_timeout >= 0");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("max_response_bytes is 0");
  }
  InitCurlOnce();
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

std::string StreamLoadClient::Escape(std::string_view text) {
  char* escaped =
      curl_easy_escape(static_cast<CURL*>(curl_), text.data(), static_cast<int>(text.size()));
  if (escaped == nullptr) return std::string();
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

absl::StatusOr<StreamLoadClient::HttpReply> StreamLoadClient::Perform(
    const std::string& url, bool put, std::string_view body,
    const std::vector<std::string>& headers, const std::function<bool()>& cancelled) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpReply reply;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  UploadCursor cursor{body, 0, &stats_.bytes_sent};
  ResponseSink sink{&reply.body, options_.max_response_bytes};

  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  for (const std::string& header : headers) {
    curl_slist* appended = curl_slist_append(header_list.get(), header.c_str());
    if (appended == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
    header_list.release();
    header_list.reset(appended);
  }
  // Drops every option (they point at this frame's buffers) before they go
  // out of scope; the connection cache lives in the multi handle.
  struct ResetOnExit {
    CURL* curl;
    ~ResetOnExit() { curl_easy_reset(curl); }
  } reset_on_exit{curl};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS,
                   static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
  // The FE answers 307 to a BE; the BE needs the same method, body and
  // credentials (it is another host:port, so libcurl would drop them).
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  if (header_list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
  if (put) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &cursor);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS,
                     static_cast<long>(options_.expect_100_timeout.count()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  Clock::time_point start = Clock::now();
  bool was_cancelled = false;
  CURLcode rc = static_cast<CURLcode>(Drive(cancelled, &was_cancelled));
  stats_.last_latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  long new_connections = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections) == CURLE_OK) {
    stats_.connections_opened += new_connections;
  }
  char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    reply.effective_url = effective;
  } else {
    reply.effective_url = url;
  }
  std::string where = absl::StrCat(put ? "PUT " : "GET ", url);
  if (reply.effective_url != url) {
    absl::StrAppend(&where, " (redirected to ", reply.effective_url, ")");
  }

  if (rc != CURLE_OK) {
    if (was_cancelled) return absl::CancelledError(absl::StrCat(where, ": cancelled"));
    if (sink.overflow) {
      return absl::DataLossError(
          absl::StrCat(where, ": response larger than ", options_.max_response_bytes, " bytes"));
    }
    std::string message = curl_easy_strerror(rc);
    if (error_buffer[0] != '\0') absl::StrAppend(&message, ": ", error_buffer);
    return absl::Status(CodeForCurlError(rc), absl::StrCat(where, ": ", message));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  if (reply.status < 200 || reply.status >= 300) {
    std::string message = absl::StrCat(where, ": HTTP ", reply.status);
    if (std::string detail = ErrorBodyMessage(reply.body); !detail.empty()) {
      absl::StrAppend(&message, ": ", detail);
    }
    if (reply.status == 401) absl::StrAppend(&message, " (user '", options_.user, "')");
    return absl::Status(CodeForHttpStatus(reply.status), message);
  }
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

absl::Status StreamLoadClient::ValidateRequest(const LoadRequest& request) const {
  if (request.table.empty()) return absl::InvalidArgumentError("table is empty");
  if (!request.label.empty() && !IsValidLabel(request.label)) {
    return absl::InvalidArgumentError(
        absl::StrCat("label must match ^[-A-Za-z0-9_]{1,128}$: ", request.label));
  }
  if (request.body.empty()) return absl::InvalidArgumentError("body is empty");
  if (HasLineBreak(request.columns)) {
    return absl::InvalidArgumentError("columns header contains a line break");
  }
  if (request.partial_update && request.columns.empty()) {
    return absl::InvalidArgumentError("partial_update needs a columns header");
  }
  for (const auto& [name, value] : request.extra_headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find_first_of(": \t") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad extra header name or value: ", name));
    }
    for (std::string_view reserved : kReservedHeaders) {
      if (absl::EqualsIgnoreCase(name, AsAbsl(reserved))) {
        return absl::InvalidArgumentError(
            absl::StrCat("extra header '", name, "' is set by the client"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadResponse> StreamLoadClient::SendOnce(const LoadRequest& request,
                                                        const std::function<bool()>& cancelled) {
  if (absl::Status st = ValidateRequest(request); !st.ok()) return st;
  std::string url = absl::StrCat(options_.fe_url, "/api/", Escape(options_.database), "/",
                                 Escape(request.table), "/_stream_load");
  std::vector<std::string> headers = {
      // The FE refuses a Stream Load without it. libcurl 7.x adds it to
      // every non-empty PUT, but to POSTs only above 1 MiB and newer
      // versions changed the rule: never depend on that heuristic.
      "Expect: 100-continue",   "format: json",        "strip_outer_array: true",
      "ignore_json_size: true", "max_filter_ratio: 0",
  };
  if (!request.label.empty()) headers.push_back(absl::StrCat("label: ", request.label));
  if (!request.columns.empty()) headers.push_back(absl::StrCat("columns: ", request.columns));
  if (request.partial_update) {
    headers.push_back("partial_update: true");
    headers.push_back("partial_update_mode: row");
  }
  for (const auto& [name, value] : request.extra_headers) {
    headers.push_back(absl::StrCat(name, ": ", value));
  }

  ++stats_.attempts;
  absl::StatusOr<HttpReply> reply = Perform(url, /*put=*/true, request.body, headers, cancelled);
  if (!reply.ok()) return reply.status();
  absl::StatusOr<LoadResponse> response = ParseLoadResponse(reply->body);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(response.status().message(), " (from ", reply->effective_url,
                                     ": ", ErrorBodyMessage(reply->body), ")"));
  }
  return response;
}

absl::StatusOr<LoadState> StreamLoadClient::GetLoadState(std::string_view label,
                                                         const std::function<bool()>& cancelled) {
  if (!IsValidLabel(label)) {
    return absl::InvalidArgumentError(
        absl::StrCat("label must match ^[-A-Za-z0-9_]{1,128}$: ", AsAbsl(label)));
  }
  std::string url = absl::StrCat(options_.fe_url, "/api/", Escape(options_.database),
                                 "/get_load_state?label=", Escape(label));
  ++stats_.label_polls;
  absl::StatusOr<HttpReply> reply = Perform(url, /*put=*/false, "", {}, cancelled);
  if (!reply.ok()) return reply.status();
  return ParseLoadStateResponse(reply->body);
}

milliseconds StreamLoadClient::Backoff(int retry) {
  int64_t cap = options_.initial_backoff.count();
  const int64_t max = options_.max_backoff.count();
  for (int i = 0; i < retry && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  if (cap <= 0) return milliseconds::zero();
  return milliseconds(std::uniform_int_distribution<int64_t>(0, cap)(rng_));
}

bool StreamLoadClient::SleepFor(milliseconds duration, const std::function<bool()>& cancelled) {
  Clock::time_point deadline = Clock::now() + duration;
  while (true) {
    if (IsCancelled(cancelled)) return false;
    Clock::time_point now = Clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(deadline - now, cancelled ? kCancelPollInterval : duration));
  }
}

absl::Status StreamLoadClient::Fail(const LoadRequest& request, const absl::Status& error) {
  ++stats_.loads_failed;
  return absl::Status(error.code(),
                      absl::StrCat("Stream Load into ", options_.database, ".", request.table,
                                   " (label ", request.label, "): ", error.message()));
}

absl::StatusOr<StreamLoadClient::LabelResolution> StreamLoadClient::ResolveLabel(
    const LoadRequest& request, const std::function<bool()>& cancelled, std::string* why) {
  const Clock::time_point deadline = Clock::now() + options_.label_wait_timeout;
  milliseconds poll_delay = std::max(options_.initial_backoff, milliseconds(1));
  while (true) {
    absl::StatusOr<LoadState> state = GetLoadState(request.label, cancelled);
    if (state.ok()) {
      switch (state->state) {
        case TxnState::kVisible:
        case TxnState::kCommitted:
          return LabelResolution::kLoaded;
        case TxnState::kAborted:
          // An aborted label is free again at once.
          *why = absl::StrCat("label was ABORTED",
                              state->reason.empty() ? "" : absl::StrCat(": ", state->reason));
          return LabelResolution::kResendNow;
        case TxnState::kUnknown:
          // Contradicts "Label Already Exists" (e.g. a lagging follower FE).
          // Resending is safe: the label still guards against a double apply.
          *why = "Label Already Exists, but get_load_state answered UNKNOWN";
          return LabelResolution::kResendAfterBackoff;
        case TxnState::kPrepare:
        case TxnState::kPrepared:
          *why = absl::StrCat("label still ", AsAbsl(TxnStateName(state->state)));
          break;
      }
    } else {
      if (ClassifyLoadError(state.status()).outcome == LoadOutcome::kPermanent) {
        return state.status();
      }
      *why = absl::StrCat("get_load_state: ", state.status().message());
    }
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return absl::UnavailableError(absl::StrCat("Label Already Exists and not settled after ",
                                                 options_.label_wait_timeout.count(),
                                                 " ms: ", *why));
    }
    milliseconds delay = std::min(poll_delay, std::chrono::ceil<milliseconds>(deadline - now));
    if (!SleepFor(delay, cancelled)) return absl::CancelledError("cancelled");
    poll_delay = std::min(poll_delay * 2, std::max(options_.max_backoff, milliseconds(1)));
  }
}

absl::Status StreamLoadClient::Load(const LoadRequest& request,
                                    const std::function<bool()>& cancelled) {
  if (request.label.empty()) {
    return Fail(request, absl::InvalidArgumentError(
                             "a label is required: it is what makes retries idempotent"));
  }
  if (absl::Status st = ValidateRequest(request); !st.ok()) return Fail(request, st);

  absl::Status last_error;
  for (int retry = 0;; ++retry) {
    if (retry > 0) ++stats_.retries;
    if (IsCancelled(cancelled)) return Fail(request, absl::CancelledError("cancelled"));
    bool backoff = true;
    absl::StatusOr<LoadResponse> response = SendOnce(request, cancelled);
    Classification c =
        response.ok() ? ClassifyLoadResponse(*response) : ClassifyLoadError(response.status());
    switch (c.outcome) {
      case LoadOutcome::kLoaded:
        ++stats_.loads_succeeded;
        return absl::OkStatus();
      case LoadOutcome::kPermanent:
        return Fail(request, c.error);
      case LoadOutcome::kRetryable:
        last_error = c.error;
        break;
      case LoadOutcome::kLabelInProgress: {
        std::string why;
        absl::StatusOr<LabelResolution> resolution = ResolveLabel(request, cancelled, &why);
        if (!resolution.ok()) return Fail(request, resolution.status());
        if (*resolution == LabelResolution::kLoaded) {
          ++stats_.loads_succeeded;
          return absl::OkStatus();
        }
        backoff = *resolution == LabelResolution::kResendAfterBackoff;
        last_error = absl::UnavailableError(why);
        break;
      }
    }
    if (retry >= options_.max_retries) {
      return Fail(request, absl::UnavailableError(
                               absl::StrCat("gave up after ", retry + 1,
                                            " attempts; last error: ", last_error.message())));
    }
    if (backoff && !SleepFor(Backoff(retry), cancelled)) {
      return Fail(request, absl::CancelledError(absl::StrCat(
                               "cancelled while backing off; last error: ", last_error.message())));
    }
  }
}

}  // namespace dbmazz::sink
