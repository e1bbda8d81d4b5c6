// Counters kept by the row encoder. A "warning" is a value that StarRocks
// cannot represent and that was therefore written as JSON null (never as a
// different value); every warning is also counted under its cause.
#ifndef DBMAZZ_ENGINE_SINK_ENCODE_STATS_H_
#define DBMAZZ_ENGINE_SINK_ENCODE_STATS_H_

#include <cstdint>

namespace dbmazz::sink {

struct EncodeStats {
  uint64_t warnings = 0;               // sum of the five causes below
  uint64_t nan_or_infinity = 0;        // float4/float8/numeric NaN, Infinity, -Infinity
  uint64_t datetime_out_of_range = 0;  // ±infinity, BC, year > 9999
  uint64_t decimal_out_of_range = 0;   // does not fit the target DECIMAL(p,s)
  uint64_t unsupported_array = 0;      // multi-dimensional or explicit lower bounds
  uint64_t oversized = 0;              // longer than the StarRocks column can hold

  uint64_t rows_upserted = 0;  // rows appended by AppendUpsert
  uint64_t rows_deleted = 0;   // rows appended by AppendDelete
  uint64_t toast_omitted = 0;  // unchanged-TOAST columns left out of an upsert

  void Add(const EncodeStats& o) {
    warnings += o.warnings;
    nan_or_infinity += o.nan_or_infinity;
    datetime_out_of_range += o.datetime_out_of_range;
    decimal_out_of_range += o.decimal_out_of_range;
    unsupported_array += o.unsupported_array;
    oversized += o.oversized;
    rows_upserted += o.rows_upserted;
    rows_deleted += o.rows_deleted;
    toast_omitted += o.toast_omitted;
  }
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_ENCODE_STATS_H_
