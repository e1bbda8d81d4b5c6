#include "engine/sink/http_transfer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "engine/sink/stream_load_response.h"

namespace dbmazz::sink {
namespace {

constexpr long kMaxRedirects = 5;  // FE -> leader FE -> BE, with room to spare.

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

}  // namespace

void HttpTransfer::InitLibcurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpTransfer::HttpTransfer(const StreamLoadOptions& options, HttpRequest request)
    : options_(options), request_(std::move(request)) {
  cursor_.body = request_.body;
  sink_.body = &reply_.body;
  sink_.limit = options_.max_response_bytes;
}

HttpTransfer::~HttpTransfer() = default;

size_t HttpTransfer::ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  size_t n = std::min(size * nitems, cursor->body.size() - cursor->offset);
  if (n > 0) std::memcpy(buffer, cursor->body.data() + cursor->offset, n);
  cursor->offset += n;
  cursor->sent += static_cast<int64_t>(n);
  return n;
}

// Lets libcurl rewind the body to re-send it after a redirect.
int HttpTransfer::SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > cursor->body.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  cursor->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t HttpTransfer::WriteBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* sink = static_cast<ResponseSink*>(userdata);
  size_t n = size * nmemb;
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // Aborts the transfer (CURLE_WRITE_ERROR).
  }
  sink->body->append(data, n);
  return n;
}

absl::Status HttpTransfer::Attach(CURL* curl) {
  headers_.reset();
  for (const std::string& header : request_.headers) {
    curl_slist* appended = curl_slist_append(headers_.get(), header.c_str());
    if (appended == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
    headers_.release();
    headers_.reset(appended);
  }
  curl_easy_setopt(curl, CURLOPT_URL, request_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer_);
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
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink_);
  if (headers_) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
  if (request_.put) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &cursor_);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &cursor_);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
    curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS,
                     static_cast<long>(options_.expect_100_timeout.count()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpReply> HttpTransfer::Finish(CURL* curl, CURLcode rc, bool cancelled) {
  long new_connections = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections) == CURLE_OK) {
    connections_opened_ = new_connections;
  }
  char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    reply_.effective_url = effective;
  } else {
    reply_.effective_url = request_.url;
  }
  std::string where = absl::StrCat(request_.put ? "PUT " : "GET ", request_.url);
  if (reply_.effective_url != request_.url) {
    absl::StrAppend(&where, " (redirected to ", reply_.effective_url, ")");
  }

  if (cancelled) return absl::CancelledError(absl::StrCat(where, ": cancelled"));
  if (rc != CURLE_OK) {
    if (sink_.overflow) {
      return absl::DataLossError(
          absl::StrCat(where, ": response larger than ", options_.max_response_bytes, " bytes"));
    }
    std::string message = curl_easy_strerror(rc);
    if (error_buffer_[0] != '\0') absl::StrAppend(&message, ": ", error_buffer_);
    return absl::Status(CodeForCurlError(rc), absl::StrCat(where, ": ", message));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply_.status);
  if (reply_.status < 200 || reply_.status >= 300) {
    std::string message = absl::StrCat(where, ": HTTP ", reply_.status);
    if (std::string detail = ErrorBodyMessage(reply_.body); !detail.empty()) {
      absl::StrAppend(&message, ": ", detail);
    }
    if (reply_.status == 401) absl::StrAppend(&message, " (user '", options_.user, "')");
    absl::Status error(CodeForHttpStatus(reply_.status), message);
    error.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(reply_.status)));
    return error;
  }
  return std::move(reply_);
}

}  // namespace dbmazz::sink
