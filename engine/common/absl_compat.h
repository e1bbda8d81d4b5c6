// Debian 12's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so
// absl::string_view is a distinct type from std::string_view and absl::StrCat
// does not accept std::string_view. Convert at the boundary with AsAbsl().
#ifndef DBMAZZ_ENGINE_COMMON_ABSL_COMPAT_H_
#define DBMAZZ_ENGINE_COMMON_ABSL_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace dbmazz {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace dbmazz

#endif  // DBMAZZ_ENGINE_COMMON_ABSL_COMPAT_H_
