#include "server/status_mapping.h"

#include <cctype>

namespace dbmazz::server {
namespace {

constexpr char kMask[] = "******";

bool StartsWithNoCase(std::string_view text, size_t pos, std::string_view prefix) {
  if (pos > text.size() || text.size() - pos < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != prefix[i]) return false;
  }
  return true;
}

// End of a conninfo value starting at `pos`: a quoted value runs to the
// closing quote, an unquoted one to the next space.
size_t ValueEnd(std::string_view text, size_t pos) {
  if (pos < text.size() && text[pos] == '\'') {
    for (size_t i = pos + 1; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' (SQL style): scrub conservatively, as if escaped
      } else if (text[i] == '\'') {
        return i + 1;
      }
    }
    return text.size();
  }
  size_t end = pos;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != '"') {
    ++end;
  }
  return end;
}

}  // namespace

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return grpc::StatusCode::OK;
    case absl::StatusCode::kCancelled:
      return grpc::StatusCode::CANCELLED;
    case absl::StatusCode::kUnknown:
      return grpc::StatusCode::UNKNOWN;
    case absl::StatusCode::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case absl::StatusCode::kDeadlineExceeded:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case absl::StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case absl::StatusCode::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case absl::StatusCode::kPermissionDenied:
      return grpc::StatusCode::PERMISSION_DENIED;
    case absl::StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case absl::StatusCode::kFailedPrecondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case absl::StatusCode::kAborted:
      return grpc::StatusCode::ABORTED;
    case absl::StatusCode::kOutOfRange:
      return grpc::StatusCode::OUT_OF_RANGE;
    case absl::StatusCode::kUnimplemented:
      return grpc::StatusCode::UNIMPLEMENTED;
    case absl::StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
    case absl::StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case absl::StatusCode::kDataLoss:
      return grpc::StatusCode::DATA_LOSS;
    case absl::StatusCode::kUnauthenticated:
      return grpc::StatusCode::UNAUTHENTICATED;
    default:
      return grpc::StatusCode::UNKNOWN;
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string_view message(status.message().data(), status.message().size());
  return grpc::Status(ToGrpcCode(status.code()), ScrubSecrets(message));
}

std::string ScrubSecrets(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  size_t i = 0;
  while (i < message.size()) {
    // conninfo keywords: password=..., sslpassword=... (and "password = x").
    if (StartsWithNoCase(message, i, "password") &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(message[i - 1])) ||
         (i >= 3 && StartsWithNoCase(message, i - 3, "ssl")))) {
      size_t j = i + 8;
      while (j < message.size() && message[j] == ' ') ++j;
      if (j < message.size() && message[j] == '=') {
        ++j;
        while (j < message.size() && message[j] == ' ') ++j;
        out.append(message.substr(i, j - i));
        out.append(kMask);
        i = ValueEnd(message, j);
        continue;
      }
    }
    // URIs: scheme://user:secret@host.
    if (message.compare(i, 3, "://") == 0) {
      size_t at = message.find('@', i + 3);
      size_t stop = message.find_first_of(" /\"'", i + 3);
      size_t colon = message.find(':', i + 3);
      if (at != std::string_view::npos && (stop == std::string_view::npos || at < stop) &&
          colon != std::string_view::npos && colon < at) {
        out.append(message.substr(i, colon + 1 - i));
        out.append(kMask);
        i = at;
        continue;
      }
    }
    out.push_back(message[i]);
    ++i;
  }
  return out;
}

}  // namespace dbmazz::server
