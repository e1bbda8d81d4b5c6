#include "engine/sink/fe_url.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::sink {
namespace {

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

absl::Status ValidateFeUrl(std::string_view url) {
  std::string_view rest;
  if (absl::StartsWithIgnoreCase(AsAbsl(url), "http://")) {
    rest = url.substr(7);
  } else if (absl::StartsWithIgnoreCase(AsAbsl(url), "https://")) {
    rest = url.substr(8);
  } else {
    return absl::InvalidArgumentError("must start with http:// or https://");
  }
  for (char c : url) {
    if (c == ' ' || c == '?' || c == '#' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "must be http(s)://host[:port][/path] (no spaces, query or fragment)");
    }
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "must not carry credentials; set the user and password fields");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return absl::InvalidArgumentError("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return absl::InvalidArgumentError("unexpected text after [IPv6] host");
      port = after.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return absl::InvalidArgumentError("invalid IPv6 address");
      }
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
    for (char c : host) {
      if (!IsHostChar(c)) return absl::InvalidArgumentError("invalid character in host name");
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("has no host");
  if (!port.empty()) {
    uint32_t value = 0;
    bool digits = port.size() <= 5;
    for (char c : port) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!digits || !absl::SimpleAtoi(AsAbsl(port), &value) || value < 1 || value > 65535) {
      return absl::InvalidArgumentError("port must be a number from 1 to 65535");
    }
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::sink
