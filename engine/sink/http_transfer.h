// One HTTP exchange of the Stream Load protocol on a libcurl easy handle,
// independent of how the handle is driven (StreamLoadClient's private multi
// handle, or LoadDispatcher's shared one):
//
//   HttpTransfer transfer(options, *BuildStreamLoadRequest(options, request));
//   if (absl::Status st = transfer.Attach(curl); !st.ok()) ...
//   ... drive `curl` until CURLMSG_DONE (result rc) or cancellation ...
//   absl::StatusOr<HttpReply> reply = transfer.Finish(curl, rc, cancelled);
//
// Attach() points every option at this object's buffers (upload cursor,
// bounded response sink, header list, error buffer): the transfer must stay
// where it is (it is neither copyable nor movable) and outlive the handle's
// use — remove the handle from its multi handle, or curl_easy_reset() it,
// before destroying the transfer.
//
// Redirects are followed (FE 307 to a BE) keeping method, body and Basic
// credentials; only http/https are allowed.
//
// Ownership: borrows `options` and the request's body for its lifetime.
// Thread-safety: thread-compatible.
#ifndef DBMAZZ_ENGINE_SINK_HTTP_TRANSFER_H_
#define DBMAZZ_ENGINE_SINK_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/sink/stream_load_request.h"

namespace dbmazz::sink {

class HttpTransfer {
 public:
  // curl_global_init() once per process (thread-safe); call before creating
  // libcurl handles.
  static void InitLibcurl();

  HttpTransfer(const StreamLoadOptions& options, HttpRequest request);
  ~HttpTransfer();
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;

  // Sets every option of the exchange on `curl` (a fresh or reset handle).
  // ResourceExhausted if the header list cannot be built.
  [[nodiscard]] absl::Status Attach(CURL* curl);

  // Reads the outcome of the transfer that ended with `rc` (CURLE_OK or an
  // error; any value when `cancelled`). Returns the reply of an HTTP 2xx,
  // else:
  //   Cancelled         `cancelled`;
  //   DataLoss          response larger than max_response_bytes;
  //   DeadlineExceeded  connect or request timeout;
  //   InvalidArgument   bad URL or protocol, HTTP 4xx other than below;
  //   ResourceExhausted out of memory;
  //   Unavailable       other transport errors (refused, reset, DNS, TLS,
  //                     too many redirects), HTTP 5xx/408/429/3xx/1xx;
  //   Unauthenticated   HTTP 401; PermissionDenied 403; NotFound 404.
  // Messages name the method and URL (and the redirect target), never the
  // password.
  [[nodiscard]] absl::StatusOr<HttpReply> Finish(CURL* curl, CURLcode rc, bool cancelled);

  // Body bytes handed to libcurl so far (a redirect re-sends them).
  [[nodiscard]] int64_t bytes_sent() const { return cursor_.sent; }
  // New connections the exchange opened (valid after Finish()).
  [[nodiscard]] int64_t connections_opened() const { return connections_opened_; }
  [[nodiscard]] const HttpRequest& request() const { return request_; }

 private:
  struct UploadCursor {
    std::string_view body;
    size_t offset = 0;
    int64_t sent = 0;
  };
  struct ResponseSink {
    std::string* body = nullptr;
    size_t limit = 0;
    bool overflow = false;
  };
  struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  static size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata);
  static int SeekBody(void* userdata, curl_off_t offset, int origin);
  static size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata);

  const StreamLoadOptions& options_;
  HttpRequest request_;
  HttpReply reply_;
  UploadCursor cursor_;
  ResponseSink sink_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {0};
  int64_t connections_opened_ = 0;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_HTTP_TRANSFER_H_
