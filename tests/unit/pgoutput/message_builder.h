// Builds pgoutput payloads byte by byte (big-endian), for messages PostgreSQL
// 15 cannot produce (protocol 4 layouts) and for malformed-input tests.
//
// Ownership: owns the bytes it builds. Thread-safety: none.
#ifndef DBMAZZ_TESTS_UNIT_PGOUTPUT_MESSAGE_BUILDER_H_
#define DBMAZZ_TESTS_UNIT_PGOUTPUT_MESSAGE_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace dbmazz::pgoutput::testing {

class MessageBuilder {
 public:
  explicit MessageBuilder(char type) { data_.push_back(type); }

  MessageBuilder& U8(uint8_t v) {
    data_.push_back(static_cast<char>(v));
    return *this;
  }
  MessageBuilder& U16(uint16_t v) { return BigEndian(v, 2); }
  MessageBuilder& U32(uint32_t v) { return BigEndian(v, 4); }
  MessageBuilder& U64(uint64_t v) { return BigEndian(v, 8); }
  MessageBuilder& I64(int64_t v) { return BigEndian(static_cast<uint64_t>(v), 8); }

  // A NUL-terminated String.
  MessageBuilder& Str(std::string_view s) {
    data_.append(s);
    data_.push_back('\0');
    return *this;
  }
  MessageBuilder& Bytes(std::string_view s) {
    data_.append(s);
    return *this;
  }
  // One TupleData column of kind 't' (or 'b') with its u32 length.
  MessageBuilder& Value(std::string_view s, char kind = 't') {
    U8(static_cast<uint8_t>(kind));
    U32(static_cast<uint32_t>(s.size()));
    return Bytes(s);
  }

  const std::string& data() const { return data_; }

 private:
  MessageBuilder& BigEndian(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) data_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }

  std::string data_;
};

}  // namespace dbmazz::pgoutput::testing

#endif  // DBMAZZ_TESTS_UNIT_PGOUTPUT_MESSAGE_BUILDER_H_
