#include "tests/support/starrocks_emulator/flat_row_scanner.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dbmazz::starrocks_emulator {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the 4 hex digits at `p`, or -1.
int32_t CodeUnit(const char* p, const char* end) {
  if (end - p < 4) return -1;
  int32_t unit = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = HexDigit(p[i]);
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at
// `p`, or 0 (overlong forms, surrogates and code points past U+10FFFF are
// ill-formed, as nlohmann's lexer has it).
size_t Utf8Length(const char* p, const char* end) {
  auto byte = [p](int i) { return static_cast<unsigned char>(p[i]); };
  unsigned char lead = byte(0);
  size_t n = lead >= 0xC2 && lead <= 0xDF   ? 2
             : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                            : 0;
  if (n == 0 || static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F) ||
      (lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F)) {
    return 0;
  }
  return n;
}

// Decodes the contents of a checked string that has escapes.
void DecodeEscaped(std::string_view raw, std::string* out) {
  out->clear();
  const char* p = raw.data();
  const char* end = p + raw.size();
  while (p < end) {
    if (*p != '\\') {
      out->push_back(*p++);
      continue;
    }
    char kind = p[1];
    p += 2;
    switch (kind) {
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t cp = static_cast<uint32_t>(CodeUnit(p, end));
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // Checked: a low surrogate follows.
          uint32_t low = static_cast<uint32_t>(CodeUnit(p + 2, end));
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, out);
        break;
      }
      default:  // '"', '\\', '/'
        out->push_back(kind);
    }
  }
}

// One pass over a body. kDeliver = false checks everything and delivers
// nothing; kDeliver = true trusts that check and fills and delivers rows.
template <bool kDeliver>
class Pass {
 public:
  Pass(std::string_view body, const JsonRowReader& reader, JsonRowReader::Row* row,
       const JsonRowReader::RowCallback* on_row)
      : p_(body.data()),
        end_(body.data() + body.size()),
        reader_(reader),
        row_(row),
        on_row_(on_row) {}

  bool Run() {
    SkipSpace();
    if (!Eat('[')) return false;
    SkipSpace();
    if (Eat(']')) return AtEnd();
    while (true) {
      SkipSpace();
      if (!Object()) return false;
      SkipSpace();
      if (Eat(',')) continue;
      return Eat(']') && AtEnd();
    }
  }

 private:
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (p_ < end_ && IsSpace(*p_)) ++p_;
  }

  bool Object() {
    if (!Eat('{')) return false;
    if constexpr (kDeliver) std::fill(row_->present.begin(), row_->present.end(), 0);
    SkipSpace();
    if (!Eat('}')) {
      for (size_t member = 0;; ++member) {
        SkipSpace();
        std::string_view key;
        if (!Key(&key)) return false;
        SkipSpace();
        if (!Eat(':')) return false;
        SkipSpace();
        if (!Value(kDeliver ? Slot(member, key) : -1)) return false;
        SkipSpace();
        if (Eat(',')) continue;
        if (Eat('}')) break;
        return false;
      }
    }
    if constexpr (kDeliver) (*on_row_)(*row_);
    return true;
  }

  // The slot a key fills, or -1 (unknown key, or repeated: the first wins).
  // Objects of one body usually list the same keys in the same order, so the
  // slot of the key at each position is remembered.
  int Slot(size_t member, std::string_view key) {
    if (member >= key_cache_.size()) key_cache_.resize(member + 1, {std::string_view(), -2});
    auto& [cached_key, cached_slot] = key_cache_[member];
    if (cached_slot == -2 || cached_key != key) {
      cached_key = key;
      cached_slot = reader_.FindSlot(key);
    }
    int slot = cached_slot;
    if (slot >= 0 && row_->present[slot]) return -1;
    return slot;
  }

  // A key: a string without escapes.
  bool Key(std::string_view* key) {
    if (!Eat('"')) return false;
    const char* begin = p_;
    bool escaped = false;
    if (!StringRest(&escaped) || escaped) return false;
    *key = std::string_view(begin, p_ - 1 - begin);
    return true;
  }

  // After an opening quote: moves past the closing one.
  bool StringRest(bool* escaped) {
    while (p_ < end_) {
      char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        *escaped = true;
        if (!Escape()) return false;
        continue;
      }
      if constexpr (!kDeliver) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20) return false;
        if (byte >= 0x80) {
          size_t n = Utf8Length(p_, end_);
          if (n == 0) return false;
          p_ += n;
          continue;
        }
      }
      ++p_;
    }
    return false;
  }

  bool Escape() {
    if constexpr (kDeliver) {
      p_ += 2;  // The rest of a \u escape is hex digits: plain characters.
      return true;
    }
    if (end_ - p_ < 2) return false;
    char kind = p_[1];
    p_ += 2;
    if (kind != 'u') {
      return kind == '"' || kind == '\\' || kind == '/' || kind == 'b' || kind == 'f' ||
             kind == 'n' || kind == 'r' || kind == 't';
    }
    int32_t unit = CodeUnit(p_, end_);
    if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
    p_ += 4;
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
    int32_t low = CodeUnit(p_ + 2, end_);
    if (low < 0xDC00 || low > 0xDFFF) return false;
    p_ += 6;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool Value(int slot) {
    if (p_ == end_) return false;
    RawValue* v = kDeliver && slot >= 0 ? &row_->values[slot] : nullptr;
    char c = *p_;
    if (c == '"') {
      ++p_;
      const char* begin = p_;
      bool escaped = false;
      if (!StringRest(&escaped)) return false;
      if (v != nullptr) {
        v->kind = RawKind::kString;
        std::string_view raw(begin, p_ - 1 - begin);
        if (escaped) {
          DecodeEscaped(raw, &v->text);
        } else {
          v->text.assign(raw);
        }
      }
    } else if (c == 't' || c == 'f') {
      bool truth = c == 't';
      if (!Literal(truth ? "true" : "false")) return false;
      if (v != nullptr) {
        v->kind = RawKind::kBool;
        v->boolean = truth;
      }
    } else if (c == 'n') {
      if (!Literal("null")) return false;
      if (v != nullptr) v->kind = RawKind::kNull;
    } else if (c == '-' || IsDigit(c)) {
      if (!Number(v)) return false;
    } else {
      return false;  // Nested objects and arrays: the general reader's job.
    }
    if (v != nullptr) row_->present[slot] = 1;
    return true;
  }

  bool Number(RawValue* v) {
    const char* begin = p_;
    bool negative = Eat('-');
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_++ != '0') {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    bool integer = true;
    bool exponent = false;
    if (Eat('.')) {
      integer = false;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      exponent = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if constexpr (!kDeliver) {
      // Numbers that may not fit a double (nlohmann reports an overflow) are
      // left to the general reader.
      if (exponent || p_ - begin > 15) {
        double d;
        auto [end, ec] = std::from_chars(begin, p_, d);
        if (ec != std::errc() || end != p_) return false;
      }
      return true;
    }
    if (v == nullptr) return true;
    if (integer) {
      if (negative) {
        auto [end, ec] = std::from_chars(begin, p_, v->int_value);
        if (ec == std::errc()) {
          v->kind = RawKind::kInt;
          return true;
        }
      } else {
        auto [end, ec] = std::from_chars(begin, p_, v->uint_value);
        if (ec == std::errc()) {
          v->kind = RawKind::kUint;
          return true;
        }
      }
    }
    v->kind = RawKind::kFloat;
    std::from_chars(begin, p_, v->float_value);
    v->text.assign(begin, p_);
    return true;
  }

  const char* p_;
  const char* const end_;
  const JsonRowReader& reader_;
  JsonRowReader::Row* row_;
  const JsonRowReader::RowCallback* on_row_;
  std::vector<std::pair<std::string_view, int>> key_cache_;
};

}  // namespace

bool FlatRowScanner::Scan(std::string_view body, JsonRowReader::Row* row,
                          const JsonRowReader::RowCallback& on_row) const {
  if (!Pass<false>(body, reader_, nullptr, nullptr).Run()) return false;
  bool delivered = Pass<true>(body, reader_, row, &on_row).Run();
  (void)delivered;  // The check above passed: so does this.
  return true;
}

}  // namespace dbmazz::starrocks_emulator
