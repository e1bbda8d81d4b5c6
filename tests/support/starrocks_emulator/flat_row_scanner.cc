#include "tests/support/starrocks_emulator/flat_row_scanner.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/starrocks_emulator/json_string_codec.h"

namespace dbmazz::starrocks_emulator {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Byte classes inside a JSON string.
enum CharClass : uint8_t { kPlain, kQuote, kBackslash, kControl, kHigh };

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    classes[c] = c < 0x20 ? kControl : c >= 0x80 ? kHigh : kPlain;
  }
  classes['"'] = kQuote;
  classes['\\'] = kBackslash;
  return classes;
}
constexpr std::array<uint8_t, 256> kCharClasses = MakeCharClasses();

// Whether any of the 8 bytes at `p` is not kPlain (a word-at-a-time test;
// see "Determine if a word has a byte less than n" in Bit Twiddling Hacks).
bool HasSpecialByte(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighBits = 0x8080808080808080;
  uint64_t x;
  std::memcpy(&x, p, sizeof(x));
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
  uint64_t quote = has_zero(x ^ (kOnes * '"'));
  uint64_t backslash = has_zero(x ^ (kOnes * '\\'));
  uint64_t control = (x - kOnes * 0x20) & ~x & kHighBits;  // A byte < 0x20.
  return (quote | backslash | control | (x & kHighBits)) != 0;
}

// One pass over a body that checks everything (syntax, escapes, UTF-8, numbers
// a double cannot hold) and returns false at the first thing it does not take.
// kDeliver = true also fills and delivers rows as it goes.
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

  // Rows delivered so far.
  [[nodiscard]] size_t delivered() const { return delivered_; }

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
        bool cached = false;
        if (!Key(member, &key, &cached)) return false;
        SkipSpace();
        if (!Eat(':')) return false;
        SkipSpace();
        if (!Value(kDeliver ? Slot(member, key, cached) : -1)) return false;
        SkipSpace();
        if (Eat(',')) continue;
        if (Eat('}')) break;
        return false;
      }
    }
    if constexpr (kDeliver) {
      ++delivered_;
      (*on_row_)(*row_);
    }
    return true;
  }

  // The slot a key fills, or -1 (unknown key, or repeated: the first wins).
  // Objects of one body usually list the same keys in the same order, so the
  // slot of the key at each position is remembered. `cached`: Key found the
  // remembered key.
  int Slot(size_t member, std::string_view key, bool cached) {
    if (member >= key_cache_.size()) key_cache_.resize(member + 1, {std::string_view(), -2});
    auto& [cached_key, cached_slot] = key_cache_[member];
    if (!cached && (cached_slot == -2 || cached_key != key)) {
      cached_key = key;
      cached_slot = reader_.FindSlot(key);
    }
    int slot = cached_slot;
    if (slot >= 0 && row_->present[slot]) return -1;
    return slot;
  }

  // A key: a string without escapes. When the body holds the key remembered
  // for this member position (already checked once), it is taken without
  // scanning it again; *cached says so.
  bool Key(size_t member, std::string_view* key, bool* cached) {
    if (!Eat('"')) return false;
    if (member < key_cache_.size() && key_cache_[member].second != -2) {
      std::string_view known = key_cache_[member].first;
      if (static_cast<size_t>(end_ - p_) > known.size() && p_[known.size()] == '"' &&
          std::memcmp(p_, known.data(), known.size()) == 0) {
        *key = std::string_view(p_, known.size());
        p_ += known.size() + 1;
        *cached = true;
        return true;
      }
    }
    const char* begin = p_;
    bool escaped = false;
    if (!StringRest(&escaped) || escaped) return false;
    *key = std::string_view(begin, p_ - 1 - begin);
    return true;
  }

  // After an opening quote: moves past the closing one.
  bool StringRest(bool* escaped) {
    while (true) {
      while (end_ - p_ >= 8 && !HasSpecialByte(p_)) p_ += 8;
      while (p_ < end_ && kCharClasses[static_cast<unsigned char>(*p_)] == kPlain) ++p_;
      if (p_ == end_) return false;
      switch (kCharClasses[static_cast<unsigned char>(*p_)]) {
        case kQuote:
          ++p_;
          return true;
        case kBackslash:
          *escaped = true;
          if (!Escape()) return false;
          break;
        case kHigh: {
          size_t n = Utf8SequenceLength(p_, end_);
          if (n == 0) return false;
          p_ += n;
          break;
        }
        default:  // A raw control character.
          return false;
      }
    }
  }

  bool Escape() {
    if (end_ - p_ < 2) return false;
    char kind = p_[1];
    p_ += 2;
    if (kind != 'u') {
      return kind == '"' || kind == '\\' || kind == '/' || kind == 'b' || kind == 'f' ||
             kind == 'n' || kind == 'r' || kind == 't';
    }
    int32_t unit = JsonCodeUnit(p_, end_);
    if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
    p_ += 4;
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
    int32_t low = JsonCodeUnit(p_ + 2, end_);
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
          DecodeJsonEscapes(raw, &v->text);
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
    // Numbers that may not fit a double (nlohmann reports an overflow) are
    // left to the general reader.
    if (exponent || p_ - begin > 15) {
      double d;
      auto [end, ec] = std::from_chars(begin, p_, d);
      if (ec != std::errc() || end != p_) return false;
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
  size_t delivered_ = 0;
};

}  // namespace

bool FlatRowScanner::Scan(std::string_view body, JsonRowReader::Row* row,
                          const JsonRowReader::RowCallback& on_row) const {
  if (!Pass<false>(body, reader_, nullptr, nullptr).Run()) return false;
  bool delivered = Pass<true>(body, reader_, row, &on_row).Run();
  (void)delivered;  // The check above passed: so does this.
  return true;
}

bool FlatRowScanner::ScanOnce(std::string_view body, JsonRowReader::Row* row,
                              const JsonRowReader::RowCallback& on_row,
                              const std::function<void()>& on_abandon) const {
  Pass<true> pass(body, reader_, row, &on_row);
  if (pass.Run()) return true;
  if (pass.delivered() > 0) on_abandon();
  return false;
}

}  // namespace dbmazz::starrocks_emulator
