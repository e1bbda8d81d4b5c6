// A small libcurl HTTP client for driving the emulator from tests and the
// benchmark: Stream Load PUTs through the FE (Expect: 100-continue, 307
// followed with the body and credentials), plus plain GET/POST/DELETE.
//
// Thread-safety: one client per thread (it owns a reusable curl handle).
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_STREAM_LOAD_CLIENT_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_STREAM_LOAD_CLIENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbmazz::starrocks_emulator {

struct HttpResult {
  int curl_code = 0;                           // CURLcode; 0 is success.
  std::string curl_error;                      // Empty on success.
  long status = 0;                             // Final HTTP status.
  std::string body;                            // Final response body.
  std::map<std::string, std::string> headers;  // Final response; lower-case names.
  std::vector<long> statuses;                  // Every status line seen (100, 307, 200, ...).
  std::string effective_url;

  [[nodiscard]] bool saw_status(long s) const;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

struct RequestOptions {
  std::vector<std::pair<std::string, std::string>> headers;
  bool follow_redirects = true;
  bool expect_continue = true;  // Send "Expect: 100-continue" (else suppress it).
  bool chunked = false;         // Transfer-Encoding: chunked instead of Content-Length.
  bool send_auth = true;        // Basic auth with the client's credentials.
  std::optional<std::string> authorization;  // Raw Authorization header instead.
  long timeout_ms = 60000;
};

class StreamLoadClient {
 public:
  // `base_url`: "http://127.0.0.1:8030" (the FE, normally).
  StreamLoadClient(std::string base_url, std::string user, std::string password);
  ~StreamLoadClient();
  StreamLoadClient(const StreamLoadClient&) = delete;
  StreamLoadClient& operator=(const StreamLoadClient&) = delete;

  // PUT <base>/api/<db>/<table>/_stream_load.
  HttpResult StreamLoad(std::string_view db, std::string_view table, std::string_view body,
                        const RequestOptions& options = {});

  // Any method against <base><path> (or an absolute URL).
  HttpResult Request(std::string_view method, std::string_view path_or_url, std::string_view body,
                     const RequestOptions& options = {});

  HttpResult Get(std::string_view path) { return Request("GET", path, "", GetOptions()); }
  HttpResult Post(std::string_view path, std::string_view body) {
    return Request("POST", path, body, GetOptions());
  }

 private:
  static RequestOptions GetOptions();

  std::string base_url_;
  std::string user_;
  std::string password_;
  void* curl_;  // CURL*
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_STREAM_LOAD_CLIENT_H_
