// A bounds-checked big-endian reader over a byte buffer (network byte order,
// as PostgreSQL writes every integer of the replication protocol).
//
// Ownership: borrows the buffer; views returned by ReadString/ReadBytes point
// into it and live as long as the buffer does.
// Thread-safety: none (a cursor); use one per thread.
// Errors: every Read*() returns false, without moving the cursor, when the
// buffer does not hold the value; nothing is ever read past the end.
// Truncated() / Invalid() turn a failure into an absl::DataLossError that
// names the context (e.g. "pgoutput Insert") and the byte offset.
#ifndef DBMAZZ_ENGINE_PGOUTPUT_BYTE_READER_H_
#define DBMAZZ_ENGINE_PGOUTPUT_BYTE_READER_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::pgoutput {

class ByteReader {
 public:
  // `context` prefixes error messages; it must outlive the reader.
  explicit ByteReader(std::string_view data, std::string_view context = "input")
      : data_(data), context_(context) {}

  [[nodiscard]] bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = static_cast<uint8_t>(data_[pos_]);
    pos_ += 1;
    return true;
  }

  [[nodiscard]] bool ReadU16(uint16_t* out) {
    if (remaining() < 2) return false;
    *out = static_cast<uint16_t>(Load(2));
    pos_ += 2;
    return true;
  }

  [[nodiscard]] bool ReadU32(uint32_t* out) {
    if (remaining() < 4) return false;
    *out = static_cast<uint32_t>(Load(4));
    pos_ += 4;
    return true;
  }

  [[nodiscard]] bool ReadI32(int32_t* out) {
    uint32_t value;
    if (!ReadU32(&value)) return false;
    *out = static_cast<int32_t>(value);
    return true;
  }

  [[nodiscard]] bool ReadU64(uint64_t* out) {
    if (remaining() < 8) return false;
    *out = Load(8);
    pos_ += 8;
    return true;
  }

  [[nodiscard]] bool ReadI64(int64_t* out) {
    uint64_t value;
    if (!ReadU64(&value)) return false;
    *out = static_cast<int64_t>(value);
    return true;
  }

  // A NUL-terminated string; `out` excludes the NUL, which is consumed.
  // Fails (cursor unchanged) when no NUL is left in the buffer.
  [[nodiscard]] bool ReadString(std::string_view* out) {
    if (remaining() == 0) return false;
    const char* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, '\0', remaining());
    if (nul == nullptr) return false;
    size_t length = static_cast<const char*>(nul) - begin;
    *out = std::string_view(begin, length);
    pos_ += length + 1;
    return true;
  }

  // The next `n` bytes as a view.
  [[nodiscard]] bool ReadBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  size_t remaining() const { return data_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool empty() const { return pos_ == data_.size(); }

  // "<context>: truncated reading <what> at offset N (M bytes left)".
  absl::Status Truncated(std::string_view what) const {
    return absl::DataLossError(absl::StrCat(AsAbsl(context_), ": truncated reading ", AsAbsl(what),
                                            " at offset ", pos_, " (", remaining(),
                                            " bytes left)"));
  }

  // "<context>: <problem> at offset N" (N defaults to the cursor).
  absl::Status Invalid(std::string_view problem) const { return Invalid(problem, pos_); }
  absl::Status Invalid(std::string_view problem, size_t at) const {
    return absl::DataLossError(
        absl::StrCat(AsAbsl(context_), ": ", AsAbsl(problem), " at offset ", at));
  }

 private:
  // Big-endian load of `n` (<= 8) bytes at the cursor; the caller checked bounds.
  uint64_t Load(size_t n) const {
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) value = (value << 8) | p[i];
    return value;
  }

  std::string_view data_;
  std::string_view context_;
  size_t pos_ = 0;
};

}  // namespace dbmazz::pgoutput

#endif  // DBMAZZ_ENGINE_PGOUTPUT_BYTE_READER_H_
