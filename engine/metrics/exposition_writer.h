// Writes the Prometheus text exposition format (version 0.0.4): metric
// families with their # HELP and # TYPE lines, samples with escaped label
// values, histograms as cumulative _bucket{le} series plus _sum and _count.
//
//   ExpositionWriter w;
//   w.Family("dbmazz_rows_total", MetricType::kCounter, "Rows received.");
//   w.Sample("dbmazz_rows_total", {{"pipeline", "orders"}, {"op", "insert"}}, uint64_t{42});
//   std::string text = w.Take();
//
// Every sample of a family must follow its Family() call, before the next
// family (the format requires a family's samples to be contiguous).
//
// Thread-safety: thread-compatible (one writer per rendering).
#ifndef DBMAZZ_ENGINE_METRICS_EXPOSITION_WRITER_H_
#define DBMAZZ_ENGINE_METRICS_EXPOSITION_WRITER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "engine/common/histogram.h"

namespace dbmazz::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::initializer_list<Label>;

class ExpositionWriter {
 public:
  // # HELP (escaped) and # TYPE lines.
  void Family(std::string_view name, MetricType type, std::string_view help);
  void Sample(std::string_view name, Labels labels, double value);
  void Sample(std::string_view name, Labels labels, uint64_t value);
  void Sample(std::string_view name, Labels labels, int64_t value);
  // name_bucket{...,le="b"} (cumulative, ending with le="+Inf"), name_sum
  // and name_count.
  void HistogramSamples(std::string_view name, Labels labels, const Histogram& histogram);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

  // Label values: backslash, double quote and line feed escaped.
  static std::string EscapeLabelValue(std::string_view value);
  // HELP text: backslash and line feed escaped.
  static std::string EscapeHelp(std::string_view help);
  // Shortest text that reads back as `value`; "+Inf", "-Inf", "NaN".
  static std::string FormatDouble(double value);

 private:
  void Start(std::string_view name, Labels labels, const Label* extra);

  std::string out_;
};

}  // namespace dbmazz::metrics

#endif  // DBMAZZ_ENGINE_METRICS_EXPOSITION_WRITER_H_
