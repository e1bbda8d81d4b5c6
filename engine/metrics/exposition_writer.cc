#include "engine/metrics/exposition_writer.h"

#include <charconv>
#include <cmath>

namespace dbmazz::metrics {

namespace {

void AppendInteger(std::string& out, auto value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string ExpositionWriter::EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ExpositionWriter::EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ExpositionWriter::FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

void ExpositionWriter::Family(std::string_view name, MetricType type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(EscapeHelp(help));
  out_.append("\n# TYPE ").append(name).append(" ").append(TypeName(type)).append("\n");
}

void ExpositionWriter::Start(std::string_view name, Labels labels, const Label* extra) {
  out_.append(name);
  if (labels.size() == 0 && extra == nullptr) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto add = [&](const Label& label) {
    if (!first) out_ += ',';
    first = false;
    out_.append(label.first).append("=\"").append(EscapeLabelValue(label.second)).append("\"");
  };
  for (const Label& label : labels) add(label);
  if (extra != nullptr) add(*extra);
  out_ += "} ";
}

void ExpositionWriter::Sample(std::string_view name, Labels labels, double value) {
  Start(name, labels, nullptr);
  out_.append(FormatDouble(value)).append("\n");
}

void ExpositionWriter::Sample(std::string_view name, Labels labels, uint64_t value) {
  Start(name, labels, nullptr);
  AppendInteger(out_, value);
  out_ += '\n';
}

void ExpositionWriter::Sample(std::string_view name, Labels labels, int64_t value) {
  Start(name, labels, nullptr);
  AppendInteger(out_, value);
  out_ += '\n';
}

void ExpositionWriter::HistogramSamples(std::string_view name, Labels labels,
                                        const Histogram& histogram) {
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += histogram.bucket(i);
    std::string le = FormatDouble(histogram.bounds()[i]);
    Label extra{"le", le};
    Start(bucket, labels, &extra);
    AppendInteger(out_, cumulative);
    out_ += '\n';
  }
  Label inf{"le", "+Inf"};
  Start(bucket, labels, &inf);
  AppendInteger(out_, histogram.count());
  out_ += '\n';
  Sample(std::string(name) + "_sum", labels, histogram.sum());
  Sample(std::string(name) + "_count", labels, histogram.count());
}

}  // namespace dbmazz::metrics
