#include "engine/sink/pg_datetime.h"

namespace dbmazz::sink {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMaxYearDigits = 9;  // PostgreSQL's maximum is 294276 AD

struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool AtEnd() const { return pos >= s.size(); }
  bool Consume(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  // Exactly `n` digits.
  bool Digits(size_t n, int* value) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *value = v;
    pos += n;
    return true;
  }
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

struct Parts {
  int64_t year = 0;  // as written (BC years not yet converted)
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int micros = 0;
  bool has_fraction = false;
  int offset_seconds = 0;  // east of UTC
  bool bc = false;
};

absl::Status Malformed(std::string_view type) {
  return absl::InvalidArgumentError(std::string("malformed PostgreSQL ") + std::string(type) +
                                    " text (expected DateStyle ISO)");
}

// YYYY[Y...]-MM-DD with a valid month and day.
bool ParseDate(Cursor* c, Parts* p) {
  const size_t start = c->pos;
  int64_t year = 0;
  while (!c->AtEnd() && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
    year = year * 10 + (c->s[c->pos] - '0');
    ++c->pos;
    if (c->pos - start > kMaxYearDigits) return false;
  }
  if (c->pos - start < 4) return false;
  p->year = year;
  return c->Consume('-') && c->Digits(2, &p->month) && c->Consume('-') && c->Digits(2, &p->day);
}

bool ParseTime(Cursor* c, Parts* p) {
  if (!c->Digits(2, &p->hour) || !c->Consume(':') || !c->Digits(2, &p->minute) ||
      !c->Consume(':') || !c->Digits(2, &p->second)) {
    return false;
  }
  if (c->Consume('.')) {
    int digits = 0;
    int micros = 0;
    while (!c->AtEnd() && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
      if (++digits > 6) return false;
      micros = micros * 10 + (c->s[c->pos] - '0');
      ++c->pos;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 6; ++i) micros *= 10;
    p->micros = micros;
    p->has_fraction = true;
  }
  return p->hour <= 23 && p->minute <= 59 && p->second <= 59;
}

// +HH, +HH:MM or +HH:MM:SS (or -).
bool ParseOffset(Cursor* c, Parts* p) {
  int sign = 0;
  if (c->Consume('+')) {
    sign = 1;
  } else if (c->Consume('-')) {
    sign = -1;
  } else {
    return false;
  }
  int h = 0;
  int m = 0;
  int s = 0;
  if (!c->Digits(2, &h)) return false;
  if (c->Consume(':')) {
    if (!c->Digits(2, &m)) return false;
    if (c->Consume(':') && !c->Digits(2, &s)) return false;
  }
  if (h > 23 || m > 59 || s > 59) return false;
  p->offset_seconds = sign * (h * 3600 + m * 60 + s);
  return true;
}

bool ParseEra(Cursor* c, Parts* p) {
  if (c->AtEnd()) return true;
  if (c->s.substr(c->pos) == " BC") {
    p->bc = true;
    c->pos = c->s.size();
    return true;
  }
  return false;
}

bool ValidDate(const Parts& p) {
  const int64_t astronomical = p.bc ? 1 - p.year : p.year;
  if (p.year == 0) return false;  // PostgreSQL never prints year 0
  return p.month >= 1 && p.month <= 12 && p.day >= 1 && p.day <= DaysInMonth(astronomical, p.month);
}

void OutOfRange(std::string* out, EncodeStats* stats) {
  out->append("null");
  ++stats->datetime_out_of_range;
  ++stats->warnings;
}

// Returns true for "infinity"/"-infinity" (after writing null + warning).
bool HandleInfinity(std::string_view text, std::string* out, EncodeStats* stats) {
  if (text == "infinity" || text == "-infinity") {
    OutOfRange(out, stats);
    return true;
  }
  return false;
}

inline char* Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

inline char* Put4(char* p, int v) {
  p = Put2(p, v / 100);
  return Put2(p, v % 100);
}

void AppendDateTime(int64_t year, int month, int day, const Parts* time, std::string* out) {
  char buf[32];
  char* p = buf;
  *p++ = '"';
  p = Put4(p, static_cast<int>(year));
  *p++ = '-';
  p = Put2(p, month);
  *p++ = '-';
  p = Put2(p, day);
  if (time != nullptr) {
    *p++ = ' ';
    p = Put2(p, time->hour);
    *p++ = ':';
    p = Put2(p, time->minute);
    *p++ = ':';
    p = Put2(p, time->second);
    if (time->has_fraction) {
      *p++ = '.';
      p = Put2(p, time->micros / 10000);
      p = Put4(p, time->micros % 10000);
    }
  }
  *p++ = '"';
  out->append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
  *month = m;
  *day = d;
}

absl::Status AppendPgDate(std::string_view text, std::string* out, EncodeStats* stats) {
  if (HandleInfinity(text, out, stats)) return absl::OkStatus();
  Cursor c{text};
  Parts p;
  if (!ParseDate(&c, &p) || !ParseEra(&c, &p) || !c.AtEnd() || !ValidDate(p)) {
    return Malformed("date");
  }
  if (p.bc || p.year > 9999) {
    OutOfRange(out, stats);
    return absl::OkStatus();
  }
  AppendDateTime(p.year, p.month, p.day, nullptr, out);
  return absl::OkStatus();
}

absl::Status AppendPgTimestamp(std::string_view text, bool with_time_zone, std::string* out,
                               EncodeStats* stats) {
  const std::string_view type = with_time_zone ? "timestamptz" : "timestamp";
  if (HandleInfinity(text, out, stats)) return absl::OkStatus();
  Cursor c{text};
  Parts p;
  if (!ParseDate(&c, &p) || !c.Consume(' ') || !ParseTime(&c, &p) ||
      (with_time_zone && !ParseOffset(&c, &p)) || !ParseEra(&c, &p) || !c.AtEnd() ||
      !ValidDate(p)) {
    return Malformed(type);
  }
  if (p.bc || p.year > 9999) {
    OutOfRange(out, stats);
    return absl::OkStatus();
  }
  if (p.offset_seconds == 0) {
    AppendDateTime(p.year, p.month, p.day, &p, out);
    return absl::OkStatus();
  }
  // Convert the local wall time at the given offset to UTC.
  const int64_t local = DaysFromCivil(p.year, p.month, p.day) * kSecondsPerDay + p.hour * 3600 +
                        p.minute * 60 + p.second;
  const int64_t utc = local - p.offset_seconds;
  int64_t days = utc / kSecondsPerDay;
  int64_t secs = utc % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, &year, &month, &day);
  if (year < 0 || year > 9999) {
    OutOfRange(out, stats);
    return absl::OkStatus();
  }
  Parts t = p;
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  AppendDateTime(year, month, day, &t, out);
  return absl::OkStatus();
}

}  // namespace dbmazz::sink
