// Validation of a StarRocks FE URL: http(s)://host[:port][/path], no
// credentials (they would end up in logs and errors), no query or fragment.
//
// Thread-safety: pure function.
// Errors: InvalidArgument saying what is wrong (without a field name; callers
// prefix their own).
#ifndef DBMAZZ_ENGINE_SINK_FE_URL_H_
#define DBMAZZ_ENGINE_SINK_FE_URL_H_

#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::sink {

[[nodiscard]] absl::Status ValidateFeUrl(std::string_view url);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_FE_URL_H_
