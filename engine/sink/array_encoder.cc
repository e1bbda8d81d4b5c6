#include "engine/sink/array_encoder.h"

#include "engine/sink/value_encoder.h"

namespace dbmazz::sink {
namespace {

inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsNullToken(std::string_view s) {
  if (s.size() != 4) return false;
  static constexpr char kNull[] = "null";
  for (size_t i = 0; i < 4; ++i) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != kNull[i]) return false;
  }
  return true;
}

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(std::string("malformed PostgreSQL array literal: ") +
                                    std::string(why));
}

}  // namespace

absl::Status ArrayEncoder::Append(const ValueSpec& element, std::string_view text, std::string* out,
                                  EncodeStats* stats) {
  if (element.encoding == JsonEncoding::kArray) {
    return absl::FailedPreconditionError("array element spec must be a scalar");
  }
  const size_t n = text.size();
  size_t pos = 0;
  const auto skip_ws = [&] {
    while (pos < n && IsSpace(text[pos])) ++pos;
  };
  const auto unsupported = [&](size_t rollback) {
    out->resize(rollback);
    out->append("null");
    ++stats->unsupported_array;
    ++stats->warnings;
    return absl::OkStatus();
  };
  const auto unescape = [&](std::string_view raw) {
    scratch_.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
      scratch_.push_back(raw[i]);
    }
    return std::string_view(scratch_);
  };

  const size_t start = out->size();
  skip_ws();
  if (pos < n && text[pos] == '[') return unsupported(start);  // [lo:hi]={...}
  if (pos >= n || text[pos] != '{') return Malformed("expected '{'");
  ++pos;
  out->push_back('[');
  skip_ws();
  if (pos < n && text[pos] == '}') {
    ++pos;
  } else {
    while (true) {
      skip_ws();
      if (pos >= n) return Malformed("unexpected end");
      std::string_view value;
      bool is_null = false;
      if (text[pos] == '{') return unsupported(start);  // multi-dimensional
      if (text[pos] == '"') {
        const size_t begin = ++pos;
        bool escaped = false;
        while (pos < n && text[pos] != '"') {
          if (text[pos] == '\\') {
            escaped = true;
            ++pos;
          }
          ++pos;
        }
        if (pos >= n) return Malformed("unterminated quoted element");
        const std::string_view raw = text.substr(begin, pos - begin);
        ++pos;  // closing quote
        value = escaped ? unescape(raw) : raw;
      } else {
        const size_t begin = pos;
        size_t end = pos;  // one past the last non-space character
        bool escaped = false;
        while (pos < n && text[pos] != ',' && text[pos] != '}') {
          const char c = text[pos];
          if (c == '"' || c == '{') return Malformed("unexpected character in element");
          if (c == '\\') {
            if (pos + 1 >= n) return Malformed("dangling backslash");
            escaped = true;
            pos += 2;
            end = pos;
            continue;
          }
          ++pos;
          if (!IsSpace(c)) end = pos;
        }
        const std::string_view raw = text.substr(begin, end - begin);
        if (raw.empty()) return Malformed("empty element");
        is_null = !escaped && IsNullToken(raw);
        value = escaped ? unescape(raw) : raw;
      }
      if (is_null) {
        out->append("null");
      } else if (absl::Status st = AppendScalarValue(element, value, out, stats); !st.ok()) {
        return st;
      }
      skip_ws();
      if (pos >= n) return Malformed("unexpected end");
      if (text[pos] == ',') {
        out->push_back(',');
        ++pos;
        continue;
      }
      if (text[pos] == '}') {
        ++pos;
        break;
      }
      return Malformed("expected ',' or '}'");
    }
  }
  skip_ws();
  if (pos != n) return Malformed("trailing characters");
  out->push_back(']');
  return absl::OkStatus();
}

}  // namespace dbmazz::sink
