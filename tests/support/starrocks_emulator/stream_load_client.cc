#include "tests/support/starrocks_emulator/stream_load_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace dbmazz::starrocks_emulator {
namespace {

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  size_t n = std::min(size * nitems, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* up = static_cast<Upload*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > up->data.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  up->pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t OnHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* result = static_cast<HttpResult*>(userdata);
  std::string line(buffer, size * nitems);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    result->headers.clear();
    size_t space = line.find(' ');
    if (space != std::string::npos) result->statuses.push_back(std::atol(line.c_str() + space + 1));
    return size * nitems;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t start = line.find_first_not_of(' ', colon + 1);
    result->headers[name] = start == std::string::npos ? "" : line.substr(start);
  }
  return size * nitems;
}

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

bool HttpResult::saw_status(long s) const {
  return std::find(statuses.begin(), statuses.end(), s) != statuses.end();
}

std::string HttpResult::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

StreamLoadClient::StreamLoadClient(std::string base_url, std::string user, std::string password)
    : base_url_(std::move(base_url)), user_(std::move(user)), password_(std::move(password)) {
  static GlobalInit init;
  curl_ = curl_easy_init();
}

StreamLoadClient::~StreamLoadClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

RequestOptions StreamLoadClient::GetOptions() {
  RequestOptions o;
  o.expect_continue = false;
  return o;
}

HttpResult StreamLoadClient::StreamLoad(std::string_view db, std::string_view table,
                                        std::string_view body, const RequestOptions& options) {
  std::string path = "/api/" + std::string(db) + "/" + std::string(table) + "/_stream_load";
  return Request("PUT", path, body, options);
}

HttpResult StreamLoadClient::Request(std::string_view method, std::string_view path_or_url,
                                     std::string_view body, const RequestOptions& options) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  HttpResult result;
  std::string url = path_or_url.rfind("http", 0) == 0 ? std::string(path_or_url)
                                                      : base_url_ + std::string(path_or_url);
  Upload upload{body, 0};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : options.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  headers =
      curl_slist_append(headers, options.expect_continue ? "Expect: 100-continue" : "Expect:");
  if (options.authorization) {
    headers = curl_slist_append(headers, ("Authorization: " + *options.authorization).c_str());
  }
  std::string m(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (m == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (m == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &upload);
    if (options.chunked) {
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  } else if (m != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (options.send_auth && !options.authorization) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 1L);
  curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);

  CURLcode code = curl_easy_perform(curl);
  result.curl_code = static_cast<int>(code);
  if (code != CURLE_OK) result.curl_error = curl_easy_strerror(code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) result.effective_url = effective;
  curl_slist_free_all(headers);
  return result;
}

}  // namespace dbmazz::starrocks_emulator
