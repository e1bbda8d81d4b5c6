#include "engine/pgoutput/byte_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace dbmazz::pgoutput {
namespace {

using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  std::string data = Bytes(
      {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f});
  ByteReader r(data);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadU8(&u8));
  EXPECT_EQ(u8, 0x01);
  ASSERT_TRUE(r.ReadU16(&u16));
  EXPECT_EQ(u16, 0x0203);
  ASSERT_TRUE(r.ReadU32(&u32));
  EXPECT_EQ(u32, 0x04050607u);
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u64, 0x08090a0b0c0d0e0full);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.offset(), 15u);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, ReadsSignedValues) {
  std::string data = Bytes({0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0});
  ByteReader r(data);
  int32_t i32;
  int64_t i64;
  ASSERT_TRUE(r.ReadI32(&i32));
  EXPECT_EQ(i32, -1);
  ASSERT_TRUE(r.ReadI64(&i64));
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
}

TEST(ByteReaderTest, ShortReadsFailWithoutMovingTheCursor) {
  std::string data = Bytes({0xaa, 0xbb, 0xcc});
  ByteReader r(data);
  uint8_t u8;
  ASSERT_TRUE(r.ReadU8(&u8));
  uint32_t u32 = 7;
  EXPECT_FALSE(r.ReadU32(&u32));
  EXPECT_EQ(u32, 7u);
  int32_t i32;
  EXPECT_FALSE(r.ReadI32(&i32));
  uint64_t u64;
  EXPECT_FALSE(r.ReadU64(&u64));
  int64_t i64;
  EXPECT_FALSE(r.ReadI64(&i64));
  std::string_view view;
  EXPECT_FALSE(r.ReadBytes(3, &view));
  EXPECT_EQ(r.offset(), 1u);
  uint16_t u16;
  ASSERT_TRUE(r.ReadU16(&u16));
  EXPECT_EQ(u16, 0xbbcc);
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_FALSE(r.ReadU16(&u16));
}

TEST(ByteReaderTest, EmptyBufferFailsEveryRead) {
  ByteReader r(std::string_view{});
  uint8_t u8;
  std::string_view view;
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_FALSE(r.ReadString(&view));
  EXPECT_TRUE(r.ReadBytes(0, &view));
  EXPECT_TRUE(view.empty());
  EXPECT_TRUE(r.empty());
}

TEST(ByteReaderTest, ReadsNulTerminatedStringsAsViews) {
  std::string data("public\0\0orders\0x", 16);
  ByteReader r(data);
  std::string_view a, b, c;
  ASSERT_TRUE(r.ReadString(&a));
  ASSERT_TRUE(r.ReadString(&b));
  ASSERT_TRUE(r.ReadString(&c));
  EXPECT_EQ(a, "public");
  EXPECT_EQ(b, "");
  EXPECT_EQ(c, "orders");
  EXPECT_EQ(a.data(), data.data());  // zero-copy
  EXPECT_EQ(r.offset(), 15u);
  std::string_view d;
  EXPECT_FALSE(r.ReadString(&d));  // "x" has no terminator
  EXPECT_EQ(r.offset(), 15u);
}

TEST(ByteReaderTest, ReadBytesRejectsHugeLengths) {
  std::string data = "abcdef";
  ByteReader r(data);
  std::string_view view;
  EXPECT_FALSE(r.ReadBytes(std::numeric_limits<size_t>::max(), &view));
  EXPECT_FALSE(r.ReadBytes(0xffffffffu, &view));
  ASSERT_TRUE(r.ReadBytes(4, &view));
  EXPECT_EQ(view, "abcd");
  EXPECT_EQ(view.data(), data.data());
  EXPECT_EQ(r.remaining(), 2u);
}

TEST(ByteReaderTest, ErrorsNameContextAndOffset) {
  std::string data = Bytes({1, 2, 3});
  ByteReader r(data, "pgoutput Insert");
  uint16_t u16;
  ASSERT_TRUE(r.ReadU16(&u16));
  uint32_t u32;
  ASSERT_FALSE(r.ReadU32(&u32));
  absl::Status truncated = r.Truncated("relation id");
  EXPECT_TRUE(absl::IsDataLoss(truncated));
  EXPECT_THAT(std::string(truncated.message()), HasSubstr("pgoutput Insert"));
  EXPECT_THAT(std::string(truncated.message()), HasSubstr("relation id"));
  EXPECT_THAT(std::string(truncated.message()), HasSubstr("offset 2"));
  EXPECT_THAT(std::string(truncated.message()), HasSubstr("1 bytes left"));

  absl::Status invalid = r.Invalid("bad marker", 1);
  EXPECT_TRUE(absl::IsDataLoss(invalid));
  EXPECT_THAT(std::string(invalid.message()), HasSubstr("pgoutput Insert: bad marker at offset 1"));
}

}  // namespace
}  // namespace dbmazz::pgoutput
