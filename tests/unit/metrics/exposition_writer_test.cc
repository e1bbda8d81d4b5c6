#include "engine/metrics/exposition_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace dbmazz::metrics {
namespace {

TEST(ExpositionWriterTest, FamilyHeaderAndSamples) {
  ExpositionWriter w;
  w.Family("dbmazz_rows_total", MetricType::kCounter, "Rows.");
  w.Sample("dbmazz_rows_total", {{"pipeline", "a"}, {"op", "insert"}},
           uint64_t{18446744073709551615u});
  w.Family("dbmazz_up", MetricType::kGauge, "Up.");
  w.Sample("dbmazz_up", {}, 1.5);
  EXPECT_EQ(w.text(),
            "# HELP dbmazz_rows_total Rows.\n"
            "# TYPE dbmazz_rows_total counter\n"
            "dbmazz_rows_total{pipeline=\"a\",op=\"insert\"} 18446744073709551615\n"
            "# HELP dbmazz_up Up.\n"
            "# TYPE dbmazz_up gauge\n"
            "dbmazz_up 1.5\n");
}

TEST(ExpositionWriterTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(ExpositionWriter::EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(ExpositionWriter::EscapeHelp("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
  ExpositionWriter w;
  w.Family("m", MetricType::kGauge, "line one\nline two");
  w.Sample("m", {{"table", "public.\"we\\ird\"\n"}}, int64_t{-3});
  EXPECT_THAT(w.text(), ::testing::HasSubstr("# HELP m line one\\nline two\n"));
  EXPECT_THAT(w.text(), ::testing::HasSubstr("m{table=\"public.\\\"we\\\\ird\\\"\\n\"} -3\n"));
}

TEST(ExpositionWriterTest, FormatsDoublesExactly) {
  EXPECT_EQ(ExpositionWriter::FormatDouble(0.1), "0.1");
  EXPECT_EQ(ExpositionWriter::FormatDouble(1e21), "1e+21");
  EXPECT_EQ(ExpositionWriter::FormatDouble(1234567.125), "1234567.125");
  EXPECT_EQ(ExpositionWriter::FormatDouble(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(ExpositionWriter::FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(ExpositionWriter::FormatDouble(std::nan("")), "NaN");
}

TEST(ExpositionWriterTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  static constexpr double kBounds[] = {0.5, 1, 2.5};
  Histogram h(kBounds);
  for (double v : {0.1, 0.7, 0.9, 2.0, 7.0}) h.Observe(v);
  ExpositionWriter w;
  w.Family("d_seconds", MetricType::kHistogram, "D.");
  w.HistogramSamples("d_seconds", {{"pipeline", "p"}}, h);
  EXPECT_EQ(w.text(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{pipeline=\"p\",le=\"0.5\"} 1\n"
            "d_seconds_bucket{pipeline=\"p\",le=\"1\"} 3\n"
            "d_seconds_bucket{pipeline=\"p\",le=\"2.5\"} 4\n"
            "d_seconds_bucket{pipeline=\"p\",le=\"+Inf\"} 5\n"
            "d_seconds_sum{pipeline=\"p\"} 10.7\n"
            "d_seconds_count{pipeline=\"p\"} 5\n");
}

}  // namespace
}  // namespace dbmazz::metrics
