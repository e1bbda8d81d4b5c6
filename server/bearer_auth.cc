#include "server/bearer_auth.h"

#include <string_view>

namespace dbmazz::server {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned ca = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned cb = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= ca ^ cb;
  }
  return diff == 0;
}

}  // namespace

grpc::Status BearerAuth::Check(const grpc::CallbackServerContext& context) const {
  if (!enabled()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing \"authorization: Bearer <token>\" metadata");
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kScheme = "Bearer ";
  if (value.substr(0, kScheme.size()) != kScheme ||
      !ConstantTimeEquals(value.substr(kScheme.size()), token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }
  return grpc::Status::OK;
}

}  // namespace dbmazz::server
