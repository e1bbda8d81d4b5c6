// Byte counts for people: "512 B", "1.5 KiB", "3.2 GiB" (binary units, one
// decimal). Used in warnings, log lines and dbmazzctl's tables.
//
// Thread-safety: a pure function.
#ifndef DBMAZZ_ENGINE_COMMON_BYTE_SIZE_H_
#define DBMAZZ_ENGINE_COMMON_BYTE_SIZE_H_

#include <cstdint>
#include <string>

namespace dbmazz {

[[nodiscard]] std::string FormatBytes(uint64_t bytes);

}  // namespace dbmazz

#endif  // DBMAZZ_ENGINE_COMMON_BYTE_SIZE_H_
