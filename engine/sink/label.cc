#include "engine/sink/label.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::sink {
namespace {

// "_h" + 16 hex digits.
constexpr size_t kHashSuffixLength = 18;
// A prefix longer than this is cut first when the label is too long.
constexpr size_t kMaxShortenedPrefix = 16;

bool IsLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Copies `in` with every character outside [-A-Za-z0-9_] replaced by '_'.
// Returns true if something was replaced.
bool Sanitize(std::string_view in, std::string* out) {
  out->assign(in.data(), in.size());
  bool changed = false;
  for (char& c : *out) {
    if (!IsLabelChar(c)) {
      c = '_';
      changed = true;
    }
  }
  return changed;
}

void AppendLsn(Lsn lsn, std::string* out) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%" PRIX32 "-%" PRIX32, static_cast<uint32_t>(lsn >> 32),
                static_cast<uint32_t>(lsn));
  out->append(buf);
}

// Shortens the three name parts so that their lengths sum to at most `avail`
// (prefix first down to kMaxShortenedPrefix, then pipeline and table share the
// rest, a short part leaving its unused share to the other).
void Shorten(size_t avail, std::string* prefix, std::string* pipeline, std::string* table) {
  if (prefix->size() + pipeline->size() + table->size() <= avail) return;
  size_t p = std::min(prefix->size(), kMaxShortenedPrefix);
  if (p > avail) p = avail;
  size_t rest = avail - p;
  size_t pl = pipeline->size();
  size_t tl = table->size();
  if (pl + tl > rest) {
    size_t half = rest / 2;
    if (pl <= half) {
      tl = rest - pl;
    } else if (tl <= rest - half) {
      pl = rest - tl;
    } else {
      pl = half;
      tl = rest - half;
    }
  }
  prefix->resize(p);
  pipeline->resize(pl);
  table->resize(tl);
}

uint64_t NameHash(const LabelSpec& spec) {
  // Length-prefixed so that moving characters between parts changes the hash.
  std::string key =
      absl::StrCat(spec.prefix.size(), ":", AsAbsl(spec.prefix), "|", spec.pipeline.size(), ":",
                   AsAbsl(spec.pipeline), "|", spec.table.size(), ":", AsAbsl(spec.table));
  return Fnv1a64(key);
}

}  // namespace

uint64_t Fnv1a64(std::string_view data, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  return std::all_of(label.begin(), label.end(), IsLabelChar);
}

std::string MakeLabel(const LabelSpec& spec) {
  std::string prefix, pipeline, table;
  bool altered = Sanitize(spec.prefix, &prefix);
  altered |= Sanitize(spec.pipeline, &pipeline);
  altered |= Sanitize(spec.table, &table);
  bool ambiguous = prefix.find('_') != std::string::npos || pipeline.find('_') != std::string::npos;

  std::string tail = "_";
  AppendLsn(spec.first_lsn, &tail);
  if (spec.first_index) absl::StrAppend(&tail, "-", *spec.first_index);
  tail.push_back('_');
  AppendLsn(spec.last_lsn, &tail);
  if (spec.last_index) absl::StrAppend(&tail, "-", *spec.last_index);
  if (spec.sequence) absl::StrAppend(&tail, "_", *spec.sequence);

  size_t names = prefix.size() + pipeline.size() + table.size() + 2;  // Two '_'.
  bool too_long = names + tail.size() > kMaxLabelLength;
  bool hashed = altered || ambiguous || too_long;
  if (hashed) {
    // tail is at most 1+17+11+1+17+11+1+10 = 69 characters, so at least 40 remain.
    size_t avail = kMaxLabelLength - tail.size() - kHashSuffixLength - 2;
    Shorten(avail, &prefix, &pipeline, &table);
  }

  std::string label;
  label.reserve(kMaxLabelLength);
  absl::StrAppend(&label, prefix, "_", pipeline, "_", table, tail);
  if (hashed) {
    char buf[20];
    std::snprintf(buf, sizeof(buf), "_h%016" PRIx64, NameHash(spec));
    label.append(buf);
  }
  return label;
}

}  // namespace dbmazz::sink
