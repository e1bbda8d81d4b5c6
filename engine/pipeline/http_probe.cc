#include "engine/pipeline/http_probe.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::pipeline {
namespace {

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// The body is not needed: stop the transfer at its first byte (the status
// line and headers have been read by then).
size_t DiscardBody(char*, size_t, size_t, void*) { return 0; }

}  // namespace

absl::StatusOr<int> ProbeHttp(std::string_view url, absl::Duration timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("libcurl: cannot create a handle");
  std::string url_text(url);
  long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(timeout));
  if (timeout_ms < 1) timeout_ms = 1;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url_text.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &DiscardBody);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  CURLcode code = curl_easy_perform(h);
  long http_status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status > 0) return static_cast<int>(http_status);
  std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
  std::string message = absl::StrCat("GET ", url_text, ": ", detail);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
      return absl::InternalError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace dbmazz::pipeline
