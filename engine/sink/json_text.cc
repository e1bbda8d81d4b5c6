#include "engine/sink/json_text.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace dbmazz::sink {
namespace {

// 0: copied as is; 1: must be escaped; 2: first byte of a multi-byte sequence
// (or an invalid byte) that needs UTF-8 validation.
constexpr std::array<uint8_t, 256> MakeStringClass() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}
constexpr std::array<uint8_t, 256> kStringClass = MakeStringClass();

constexpr char kHexDigits[] = "0123456789abcdef";

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the JSON number starting at s[pos], or 0 if there is none.
size_t ScanNumber(std::string_view s, size_t pos) {
  const size_t start = pos;
  const size_t n = s.size();
  if (pos < n && s[pos] == '-') ++pos;
  if (pos >= n) return 0;
  if (s[pos] == '0') {
    ++pos;
  } else if (s[pos] >= '1' && s[pos] <= '9') {
    while (pos < n && IsDigit(s[pos])) ++pos;
  } else {
    return 0;
  }
  if (pos < n && s[pos] == '.') {
    ++pos;
    if (pos >= n || !IsDigit(s[pos])) return 0;
    while (pos < n && IsDigit(s[pos])) ++pos;
  }
  if (pos < n && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < n && (s[pos] == '+' || s[pos] == '-')) ++pos;
    if (pos >= n || !IsDigit(s[pos])) return 0;
    while (pos < n && IsDigit(s[pos])) ++pos;
  }
  return pos - start;
}

// Reads 4 hex digits at s[pos]; -1 if they are not there.
int ReadHex4(std::string_view s, size_t pos) {
  if (pos + 4 > s.size()) return -1;
  int v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int h = HexValue(s[pos + i]);
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

class Validator {
 public:
  explicit Validator(std::string_view s) : s_(s) {}

  absl::Status Run() {
    SkipWs();
    while (true) {
      // Parse one value (containers push and continue with their first value).
      if (pos_ >= s_.size()) return Error("unexpected end of input");
      const char c = s_[pos_];
      bool value_done = true;
      if (c == '{' || c == '[') {
        if (depth_ >= kMaxJsonDepth) return Error("nesting too deep");
        stack_[depth_++] = c;
        ++pos_;
        SkipWs();
        const char close = c == '{' ? '}' : ']';
        if (pos_ < s_.size() && s_[pos_] == close) {
          ++pos_;
          --depth_;
        } else if (c == '{') {
          if (absl::Status st = Member(); !st.ok()) return st;
          value_done = false;
        } else {
          value_done = false;
        }
      } else if (c == '"') {
        if (absl::Status st = String(); !st.ok()) return st;
      } else if (c == 't') {
        if (absl::Status st = Literal("true"); !st.ok()) return st;
      } else if (c == 'f') {
        if (absl::Status st = Literal("false"); !st.ok()) return st;
      } else if (c == 'n') {
        if (absl::Status st = Literal("null"); !st.ok()) return st;
      } else {
        const size_t len = ScanNumber(s_, pos_);
        if (len == 0) return Error("invalid value");
        pos_ += len;
      }
      if (!value_done) continue;
      // After a complete value: close containers or move to the next element.
      while (true) {
        SkipWs();
        if (depth_ == 0) {
          if (pos_ != s_.size()) return Error("trailing characters");
          return absl::OkStatus();
        }
        if (pos_ >= s_.size()) return Error("unexpected end of input");
        const char top = stack_[depth_ - 1];
        const char d = s_[pos_];
        if (d == ',') {
          ++pos_;
          SkipWs();
          if (top == '{') {
            if (absl::Status st = Member(); !st.ok()) return st;
          }
          break;  // parse the next value
        }
        if ((top == '{' && d == '}') || (top == '[' && d == ']')) {
          ++pos_;
          --depth_;
          continue;
        }
        return Error("expected ',' or a closing bracket");
      }
    }
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", pos_, ": ",
                                                   absl::string_view(what.data(), what.size())));
  }

  void SkipWs() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  absl::Status Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Error("invalid literal");
    pos_ += word.size();
    return absl::OkStatus();
  }

  // An object member's key and colon; leaves pos_ at the value.
  absl::Status Member() {
    if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a string key");
    if (absl::Status st = String(); !st.ok()) return st;
    SkipWs();
    if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
    ++pos_;
    SkipWs();
    return absl::OkStatus();
  }

  absl::Status String() {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("control character in string");
      if (c == '\\') {
        if (absl::Status st = Escape(); !st.ok()) return st;
        continue;
      }
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      const size_t len = Utf8SequenceLength(s_.substr(pos_));
      if (len == 0) return Error("invalid UTF-8");
      pos_ += len;
    }
  }

  absl::Status Escape() {
    if (pos_ + 1 >= s_.size()) return Error("unterminated escape");
    const char e = s_[pos_ + 1];
    switch (e) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        pos_ += 2;
        return absl::OkStatus();
      case 'u':
        break;
      default:
        return Error("invalid escape");
    }
    const int cp = ReadHex4(s_, pos_ + 2);
    if (cp < 0) return Error("invalid \\u escape");
    pos_ += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("unpaired low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (pos_ + 1 >= s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
        return Error("unpaired high surrogate");
      }
      const int low = ReadHex4(s_, pos_ + 2);
      if (low < 0xDC00 || low > 0xDFFF) return Error("unpaired high surrogate");
      pos_ += 6;
    }
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  char stack_[kMaxJsonDepth];
};

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && b(i) >= lo && b(i) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) return false;
    i += len;
  }
  return true;
}

bool AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (p < end && kStringClass[static_cast<unsigned char>(*p)] == 0) ++p;
    if (p != run) out->append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    const unsigned char c = static_cast<unsigned char>(*p);
    if (kStringClass[c] == 1) {
      if (c == '"' || c == '\\') {
        const char esc[2] = {'\\', static_cast<char>(c)};
        out->append(esc, 2);
      } else {
        const char esc[6] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 15]};
        out->append(esc, 6);
      }
      ++p;
      continue;
    }
    const size_t len = Utf8SequenceLength(std::string_view(p, static_cast<size_t>(end - p)));
    if (len == 0) return false;
    out->append(p, len);
    p += len;
  }
  out->push_back('"');
  return true;
}

bool IsJsonNumber(std::string_view s) { return !s.empty() && ScanNumber(s, 0) == s.size(); }

absl::Status ValidateJson(std::string_view text) {
  Validator v(text);
  return v.Run();
}

}  // namespace dbmazz::sink
