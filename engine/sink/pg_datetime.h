// Conversion of PostgreSQL date/timestamp/timestamptz TEXT output (DateStyle
// ISO) to the StarRocks DATE / DATETIME literals used in Stream Load JSON.
//
// Inputs look like `2024-03-01`, `0044-03-15 BC`, `infinity`,
// `2024-03-01 12:34:56.5`, `2024-03-01 12:34:56.123456+05:30`,
// `1800-01-01 05:53:28+05:53:28`, `0044-03-15 12:00:00+00 BC`. Outputs are
// quoted JSON strings `"YYYY-MM-DD"` / `"YYYY-MM-DD HH:MM:SS[.ffffff]"` (the
// fraction, when present, always has 6 digits); timestamptz values are
// converted to UTC. Values StarRocks cannot hold (±infinity, BC dates, a year
// above 9999 or, after conversion to UTC, below 0) are written as `null` and
// counted in stats->datetime_out_of_range and stats->warnings.
//
// Errors: InvalidArgument for text that is not in that format or names an
// impossible date/time; *out may then hold a partial append.
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_SINK_PG_DATETIME_H_
#define DBMAZZ_ENGINE_SINK_PG_DATETIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/sink/encode_stats.h"

namespace dbmazz::sink {

[[nodiscard]] absl::Status AppendPgDate(std::string_view text, std::string* out,
                                        EncodeStats* stats);

// with_time_zone: the text carries a UTC offset (timestamptz) and is
// converted to UTC.
[[nodiscard]] absl::Status AppendPgTimestamp(std::string_view text, bool with_time_zone,
                                             std::string* out, EncodeStats* stats);

// Days since 1970-01-01 of a proleptic Gregorian date (astronomical year
// numbering: 1 BC is year 0), and back. Exposed for tests.
int64_t DaysFromCivil(int64_t year, int month, int day);
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_PG_DATETIME_H_
