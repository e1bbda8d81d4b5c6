#include "tests/support/starrocks_emulator/value_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

namespace dbmazz::starrocks_emulator {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Reads 1..max_digits digits at *pos into *out.
bool ReadNumber(std::string_view s, size_t* pos, int min_digits, int max_digits, int* out) {
  int value = 0;
  int n = 0;
  while (*pos < s.size() && IsDigit(s[*pos]) && n < max_digits) {
    value = value * 10 + (s[*pos] - '0');
    ++*pos;
    ++n;
  }
  *out = value;
  return n >= min_digits;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

struct DateTimeParts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0;
};

bool ParseTime(std::string_view s, size_t pos, DateTimeParts* p) {
  if (!ReadNumber(s, &pos, 1, 2, &p->hour)) return false;
  if (pos >= s.size() || s[pos] != ':') return false;
  ++pos;
  if (!ReadNumber(s, &pos, 1, 2, &p->minute)) return false;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadNumber(s, &pos, 1, 2, &p->second)) return false;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      int micros = 0;
      while (pos < s.size() && IsDigit(s[pos])) {
        if (digits < 6) micros = micros * 10 + (s[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return false;
      for (int i = digits; i < 6; ++i) micros *= 10;
      p->micros = micros;
    }
  }
  if (pos != s.size()) return false;
  return p->hour < 24 && p->minute < 60 && p->second < 60;
}

bool ParseDateTimeParts(std::string_view text, DateTimeParts* p) {
  std::string_view s = TrimSpace(text);
  size_t pos = 0;
  size_t digits = 0;
  while (digits < s.size() && IsDigit(s[digits])) ++digits;
  if (digits == 8 || digits == 14) {  // YYYYMMDD[HHMMSS]
    ReadNumber(s, &pos, 4, 4, &p->year);
    ReadNumber(s, &pos, 2, 2, &p->month);
    ReadNumber(s, &pos, 2, 2, &p->day);
    if (digits == 14) {
      ReadNumber(s, &pos, 2, 2, &p->hour);
      ReadNumber(s, &pos, 2, 2, &p->minute);
      ReadNumber(s, &pos, 2, 2, &p->second);
      if (pos != s.size() || p->hour >= 24 || p->minute >= 60 || p->second >= 60) return false;
    }
  } else {
    if (!ReadNumber(s, &pos, 4, 4, &p->year)) return false;
    if (pos >= s.size() || (s[pos] != '-' && s[pos] != '/')) return false;
    char sep = s[pos++];
    if (!ReadNumber(s, &pos, 1, 2, &p->month)) return false;
    if (pos >= s.size() || s[pos] != sep) return false;
    ++pos;
    if (!ReadNumber(s, &pos, 1, 2, &p->day)) return false;
  }
  if (p->month < 1 || p->month > 12 || p->day < 1 || p->day > DaysInMonth(p->year, p->month)) {
    return false;
  }
  if (pos == s.size()) return true;
  if (s[pos] != ' ' && s[pos] != 'T') return false;
  return ParseTime(s, pos + 1, p);
}

// Writes `value` (< 10^width) as exactly `width` digits at `p`.
void PutDigits(char* p, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// "YYYY-MM-DD" at `p` (10 bytes).
void PutDate(char* p, const DateTimeParts& parts) {
  PutDigits(p, parts.year, 4);
  p[4] = '-';
  PutDigits(p + 5, parts.month, 2);
  p[7] = '-';
  PutDigits(p + 8, parts.day, 2);
}

struct DecimalView {
  bool negative = false;
  std::string_view int_part;
  std::string_view frac_part;
};

DecimalView SplitDecimal(std::string_view s) {
  DecimalView v;
  if (!s.empty() && s[0] == '-') {
    v.negative = true;
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  v.int_part = s.substr(0, dot);
  v.frac_part = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  while (v.int_part.size() > 1 && v.int_part[0] == '0') v.int_part.remove_prefix(1);
  return v;
}

int CompareMagnitude(const DecimalView& a, const DecimalView& b) {
  if (a.int_part.size() != b.int_part.size()) return a.int_part.size() < b.int_part.size() ? -1 : 1;
  if (int c = a.int_part.compare(b.int_part); c != 0) return c < 0 ? -1 : 1;
  size_t n = std::max(a.frac_part.size(), b.frac_part.size());
  for (size_t i = 0; i < n; ++i) {
    char ca = i < a.frac_part.size() ? a.frac_part[i] : '0';
    char cb = i < b.frac_part.size() ? b.frac_part[i] : '0';
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

bool IsZero(const DecimalView& v) {
  return v.int_part.find_first_not_of('0') == std::string_view::npos &&
         v.frac_part.find_first_not_of('0') == std::string_view::npos;
}

}  // namespace

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<__int128> ParseInt128(std::string_view text) {
  std::string_view s = TrimSpace(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  const __int128 kMax = ~(static_cast<__int128>(1) << 127);  // 2^127 - 1
  __int128 value = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    if (value > (kMax - (c - '0')) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  unsigned __int128 v = negative ? -static_cast<unsigned __int128>(value) : value;
  char buf[48];
  int pos = sizeof(buf);
  while (v > 0) {
    buf[--pos] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  if (negative) buf[--pos] = '-';
  return std::string(buf + pos, sizeof(buf) - pos);
}

std::optional<double> ParseDouble(std::string_view text) {
  std::string_view s = TrimSpace(text);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string FormatDouble(double value) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, ptr);
}

std::string FormatFloat(float value) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, ptr);
}

bool AppendDecimal(std::string_view text, int precision, int scale, std::string* out) {
  std::string_view s = TrimSpace(text);
  size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  size_t begin = pos;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  std::string_view int_digits = s.substr(begin, pos - begin);
  std::string_view frac_digits;
  if (pos < s.size() && s[pos] == '.') {
    begin = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    frac_digits = s.substr(begin, pos - begin);
  }
  if (int_digits.empty() && frac_digits.empty()) return false;
  long exponent = 0;
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) exp_negative = s[pos++] == '-';
    if (pos >= s.size() || !IsDigit(s[pos])) return false;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (exponent < 100000) exponent = exponent * 10 + (s[pos] - '0');
      ++pos;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (pos != s.size()) return false;

  // The significant digits: int_digits then frac_digits, leading zeros off.
  std::string_view high = int_digits;
  std::string_view low = frac_digits;
  size_t first = high.find_first_not_of('0');
  if (first == std::string_view::npos) {
    high = std::string_view();
    first = low.find_first_not_of('0');
    low = first == std::string_view::npos ? std::string_view() : low.substr(first);
  } else {
    high = high.substr(first);
  }
  const size_t count = high.size() + low.size();
  auto digit = [&](size_t i) { return i < high.size() ? high[i] : low[i - high.size()]; };

  // value * 10^scale = digits * 10^shift. The result has at most precision
  // digits (one more would fail the check below), so it fits `buf`.
  char stack[64];
  std::unique_ptr<char[]> heap;
  char* buf = stack;
  if (precision + 2 > static_cast<int>(sizeof(stack))) {
    heap = std::make_unique<char[]>(static_cast<size_t>(precision) + 2);
    buf = heap.get();
  }
  size_t length = 0;
  long shift = exponent - static_cast<long>(frac_digits.size()) + scale;
  if (count > 0) {
    if (shift >= 0) {
      if (static_cast<long>(count) + shift > precision) return false;
      for (size_t i = 0; i < count; ++i) buf[length++] = digit(i);
      std::memset(buf + length, '0', static_cast<size_t>(shift));
      length += static_cast<size_t>(shift);
    } else {
      size_t drop = static_cast<size_t>(-shift);
      size_t keep = 0;
      bool round_up = false;
      if (drop <= count) {
        keep = count - drop;
        round_up = digit(keep) >= '5';
      }
      if (static_cast<long>(keep) > precision) return false;  // Rounding only adds digits.
      for (size_t i = 0; i < keep; ++i) buf[length++] = digit(i);
      if (round_up) {
        long i = static_cast<long>(length) - 1;
        while (i >= 0 && buf[i] == '9') buf[i--] = '0';
        if (i < 0) {
          std::memmove(buf + 1, buf, length++);
          buf[0] = '1';
        } else {
          ++buf[i];
        }
      }
    }
  }
  if (static_cast<long>(length) > precision) return false;
  const bool zero = length == 0;
  const size_t width = std::max(length, static_cast<size_t>(scale) + 1);  // Digits shown.
  const size_t int_width = width - static_cast<size_t>(scale);
  if (negative && !zero) out->push_back('-');
  size_t pad = width - length;  // Leading zeros.
  for (size_t i = 0; i < width; ++i) {
    if (i == int_width) out->push_back('.');
    out->push_back(i < pad ? '0' : buf[i - pad]);
  }
  return true;
}

std::optional<std::string> ParseDecimal(std::string_view text, int precision, int scale) {
  std::string out;
  if (!AppendDecimal(text, precision, scale, &out)) return std::nullopt;
  return out;
}

bool AppendDate(std::string_view text, std::string* out) {
  DateTimeParts p;
  if (!ParseDateTimeParts(text, &p)) return false;
  char buf[10];
  PutDate(buf, p);
  out->append(buf, sizeof(buf));
  return true;
}

bool AppendDatetime(std::string_view text, std::string* out) {
  DateTimeParts p;
  if (!ParseDateTimeParts(text, &p)) return false;
  char buf[26];  // "YYYY-MM-DD HH:MM:SS.ffffff"
  PutDate(buf, p);
  buf[10] = ' ';
  PutDigits(buf + 11, p.hour, 2);
  buf[13] = ':';
  PutDigits(buf + 14, p.minute, 2);
  buf[16] = ':';
  PutDigits(buf + 17, p.second, 2);
  size_t length = 19;
  if (p.micros != 0) {
    buf[19] = '.';
    PutDigits(buf + 20, p.micros, 6);
    length = 26;
  }
  out->append(buf, length);
  return true;
}

std::optional<std::string> ParseDate(std::string_view text) {
  std::string out;
  if (!AppendDate(text, &out)) return std::nullopt;
  return out;
}

std::optional<std::string> ParseDatetime(std::string_view text) {
  std::string out;
  if (!AppendDatetime(text, &out)) return std::nullopt;
  return out;
}

int CompareCanonical(const ColumnType& type, std::string_view a, std::string_view b) {
  if (type.IsInteger()) {
    auto x = ParseInt128(a);
    auto y = ParseInt128(b);
    if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  } else if (type.kind == TypeKind::kFloat || type.kind == TypeKind::kDouble) {
    auto x = ParseDouble(a);
    auto y = ParseDouble(b);
    if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  } else if (type.kind == TypeKind::kDecimal) {
    DecimalView x = SplitDecimal(a);
    DecimalView y = SplitDecimal(b);
    bool x_neg = x.negative && !IsZero(x);
    bool y_neg = y.negative && !IsZero(y);
    if (x_neg != y_neg) return x_neg ? -1 : 1;
    int c = CompareMagnitude(x, y);
    return x_neg ? -c : c;
  }
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace dbmazz::starrocks_emulator
