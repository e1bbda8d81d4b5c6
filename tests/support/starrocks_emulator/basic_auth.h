// HTTP Basic authorization header parsing ("Basic base64(user:password)"; the
// password may itself contain ':').
//
// Thread-safety: free functions.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BASIC_AUTH_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BASIC_AUTH_H_

#include <optional>
#include <string>
#include <string_view>

namespace dbmazz::starrocks_emulator {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// nullopt if the header is not a well-formed Basic authorization.
[[nodiscard]] std::optional<BasicCredentials> ParseBasicAuth(std::string_view header);

// "Basic base64(user:password)".
[[nodiscard]] std::string MakeBasicAuth(std::string_view user, std::string_view password);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BASIC_AUTH_H_
