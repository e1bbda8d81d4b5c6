// Log sequence numbers: PostgreSQL's 64-bit WAL positions, written "X/Y".
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_ENGINE_COMMON_LSN_H_
#define DBMAZZ_ENGINE_COMMON_LSN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dbmazz {

// A WAL position. 0 means "invalid / none" (InvalidXLogRecPtr).
using Lsn = uint64_t;
inline constexpr Lsn kInvalidLsn = 0;

// Formats as PostgreSQL does: upper and lower 32 bits in uppercase hex, "16/B374D848".
[[nodiscard]] std::string FormatLsn(Lsn lsn);

// Parses "X/Y" (1-8 hex digits each side). Returns InvalidArgument on anything else.
[[nodiscard]] absl::StatusOr<Lsn> ParseLsn(std::string_view text);

}  // namespace dbmazz

#endif  // DBMAZZ_ENGINE_COMMON_LSN_H_
