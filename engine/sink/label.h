// Deterministic Stream Load labels. A label names one batch (one table, one
// LSN range), so a retry of the same batch reuses it and StarRocks refuses to
// apply it twice ("Label Already Exists").
//
//   <prefix>_<pipeline>_<table>_<first>_<last>[_<sequence>][_h<hash>]
//
// <first> and <last> are LSNs written as PostgreSQL does with '-' instead of
// '/' ("16-B374D848"), followed by "-<row index>" when the spec gives row
// indexes ("16-B374D848-7"): the sink names the exact first and last row of a
// batch, because two batches of one transaction share its commit LSN and a
// replay may cut batches elsewhere — a label naming only LSNs could then match
// a different, larger batch and skip rows.
// StarRocks accepts `^[-\w]{1,128}$`, so every other character of the name
// parts is replaced by '_'. Distinct inputs must never share a label (the
// second batch would be skipped as "already loaded"), so `_h<16 hex digits>`
// (FNV-1a 64 of the original prefix, pipeline and table) is appended whenever
// the name parts cannot be read back unambiguously from the label:
//   - a character was replaced ("orders.v2" and "orders_v2" both give
//     "orders_v2"),
//   - a part was shortened to fit 128 characters,
//   - the prefix or pipeline contains '_' (then the split between prefix,
//     pipeline and table is ambiguous: "a_b" + "c" versus "a" + "b_c").
// The LSNs, row indexes and the sequence number are never shortened.
//
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_LABEL_H_
#define DBMAZZ_ENGINE_SINK_LABEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/common/lsn.h"

namespace dbmazz::sink {

// StarRocks' maximum label length.
inline constexpr size_t kMaxLabelLength = 128;

// Holds views: the strings must outlive the spec (do not assign temporaries).
struct LabelSpec {
  std::string_view prefix = "dbmazz";
  std::string_view pipeline;  // The pipeline's name.
  std::string_view table;     // The target table (unique within the database).
  Lsn first_lsn = kInvalidLsn;
  Lsn last_lsn = kInvalidLsn;
  // Index of the first/last row within its transaction (see above).
  std::optional<uint32_t> first_index;
  std::optional<uint32_t> last_index;
  // Distinguishes several requests for the same table and LSN range (e.g. a
  // batch split by partial-update column set). nullopt: no suffix.
  std::optional<uint32_t> sequence;
};

// Builds the label (always valid: IsValidLabel() holds for the result).
[[nodiscard]] std::string MakeLabel(const LabelSpec& spec);

// True if `label` matches StarRocks' `^[-\w]{1,128}$` (ASCII letters, digits,
// '_' and '-').
[[nodiscard]] bool IsValidLabel(std::string_view label);

// FNV-1a 64-bit hash (exposed for tests).
[[nodiscard]] uint64_t Fnv1a64(std::string_view data, uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_LABEL_H_
