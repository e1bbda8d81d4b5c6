#include "tests/support/starrocks_emulator/basic_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::starrocks_emulator {

std::optional<BasicCredentials> ParseBasicAuth(std::string_view header) {
  absl::string_view h = absl::StripAsciiWhitespace(AsAbsl(header));
  if (h.size() < 6 || !absl::StartsWithIgnoreCase(h, "Basic ")) return std::nullopt;
  absl::string_view encoded = absl::StripAsciiWhitespace(h.substr(6));
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) return std::nullopt;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

std::string MakeBasicAuth(std::string_view user, std::string_view password) {
  return absl::StrCat("Basic ",
                      absl::Base64Escape(absl::StrCat(AsAbsl(user), ":", AsAbsl(password))));
}

}  // namespace dbmazz::starrocks_emulator
