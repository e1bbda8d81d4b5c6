#include "engine/sink/stream_load_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/sink/fe_url.h"
#include "engine/sink/label.h"

namespace dbmazz::sink {
namespace {

using std::chrono::milliseconds;

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

bool HasLineBreak(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// fe_url without trailing slashes.
std::string_view FeBase(const StreamLoadOptions& options) {
  std::string_view base = options.fe_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return base;
}

absl::Status InvalidLabel(std::string_view label) {
  return absl::InvalidArgumentError(
      absl::StrCat("label must match ^[-A-Za-z0-9_]{1,128}$: ", AsAbsl(label)));
}

}  // namespace

absl::Status ValidateStreamLoadOptions(const StreamLoadOptions& options) {
  if (absl::Status st = ValidateFeUrl(options.fe_url); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("fe_url ", st.message()));
  }
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
  return absl::OkStatus();
}

absl::Status ValidateLoadRequest(const LoadRequest& request) {
  if (request.table.empty()) return absl::InvalidArgumentError("table is empty");
  if (!request.label.empty() && !IsValidLabel(request.label)) return InvalidLabel(request.label);
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

absl::StatusOr<HttpRequest> BuildStreamLoadRequest(const StreamLoadOptions& options,
                                                   const LoadRequest& request) {
  if (absl::Status st = ValidateLoadRequest(request); !st.ok()) return st;
  HttpRequest http;
  http.url = absl::StrCat(AsAbsl(FeBase(options)), "/api/", UrlEscape(options.database), "/",
                          UrlEscape(request.table), "/_stream_load");
  http.put = true;
  http.body = request.body;
  http.headers = {
      // The FE refuses a Stream Load without it. libcurl 7.x adds it to
      // every non-empty PUT, but to POSTs only above 1 MiB and newer
      // versions changed the rule: never depend on that heuristic.
      "Expect: 100-continue",   "format: json",        "strip_outer_array: true",
      "ignore_json_size: true", "max_filter_ratio: 0",
  };
  if (!request.label.empty()) http.headers.push_back(absl::StrCat("label: ", request.label));
  if (!request.columns.empty()) {
    http.headers.push_back(absl::StrCat("columns: ", request.columns));
  }
  if (request.partial_update) {
    http.headers.push_back("partial_update: true");
    http.headers.push_back("partial_update_mode: row");
  }
  for (const auto& [name, value] : request.extra_headers) {
    http.headers.push_back(absl::StrCat(name, ": ", value));
  }
  return http;
}

absl::StatusOr<HttpRequest> BuildLoadStateRequest(const StreamLoadOptions& options,
                                                  std::string_view label) {
  if (!IsValidLabel(label)) return InvalidLabel(label);
  HttpRequest http;
  http.url = absl::StrCat(AsAbsl(FeBase(options)), "/api/", UrlEscape(options.database),
                          "/get_load_state?label=", UrlEscape(label));
  return http;
}

absl::StatusOr<LoadResponse> ParseStreamLoadReply(const HttpReply& reply) {
  absl::StatusOr<LoadResponse> response = ParseLoadResponse(reply.body);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(response.status().message(), " (from ", reply.effective_url,
                                     ": ", ErrorBodyMessage(reply.body), ")"));
  }
  return response;
}

std::string UrlEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

}  // namespace dbmazz::sink
