// Hand-built messages: layouts PostgreSQL 15 cannot produce, every
// truncation of every message type, and malformed or out-of-order input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pgoutput/decoder.h"
#include "engine/pgoutput/messages.h"
#include "tests/fixtures/pgoutput/fixture_file.h"
#include "tests/unit/pgoutput/message_builder.h"

namespace dbmazz::pgoutput {
namespace {

using ::testing::HasSubstr;
using testing::MessageBuilder;

constexpr uint32_t kRel = 16385;
constexpr uint32_t kXid = 1234;

DecoderOptions Proto(int version, bool parallel = false) {
  return DecoderOptions{.protocol_version = version, .streaming_parallel = parallel};
}

std::string StreamStart(uint32_t xid = kXid) { return MessageBuilder('S').U32(xid).U8(1).data(); }

// A TupleData with every column kind.
MessageBuilder& AllKindsTuple(MessageBuilder& b) {
  return b.U16(4).U8('n').U8('u').Value("abc").Value(std::string_view("\x00\x01", 2), 'b');
}

struct Case {
  const char* name;
  DecoderOptions options;
  bool in_stream;  // decode a Stream Start first
  MessageType type;
  std::string payload;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  auto add = [&](const char* name, DecoderOptions options, bool in_stream, MessageType type,
                 const MessageBuilder& b) {
    cases.push_back(Case{name, options, in_stream, type, b.data()});
  };
  add("Begin", Proto(1), false, MessageType::kBegin,
      MessageBuilder('B').U64(0x100).I64(42).U32(kXid));
  add("Commit", Proto(1), false, MessageType::kCommit,
      MessageBuilder('C').U8(0).U64(0x100).U64(0x180).I64(42));
  add("Origin", Proto(1), false, MessageType::kOrigin, MessageBuilder('O').U64(0x99).Str("node_a"));
  auto relation = [](MessageBuilder b) {
    return b.U32(kRel)
        .Str("public")
        .Str("orders")
        .U8('d')
        .U16(2)
        .U8(1)
        .Str("id")
        .U32(20)
        .U32(0xffffffff)
        .U8(0)
        .Str("name")
        .U32(25)
        .U32(0xffffffff);
  };
  add("Relation", Proto(1), false, MessageType::kRelation, relation(MessageBuilder('R')));
  add("RelationInStream", Proto(2), true, MessageType::kRelation,
      relation(MessageBuilder('R').U32(kXid)));
  add("Type", Proto(1), false, MessageType::kType,
      MessageBuilder('Y').U32(16400).Str("public").Str("mood"));
  add("TypeInStream", Proto(2), true, MessageType::kType,
      MessageBuilder('Y').U32(kXid).U32(16400).Str("public").Str("mood"));
  {
    MessageBuilder b('I');
    add("Insert", Proto(1), false, MessageType::kInsert, AllKindsTuple(b.U32(kRel).U8('N')));
  }
  {
    MessageBuilder b('I');
    add("InsertInStream", Proto(2), true, MessageType::kInsert,
        AllKindsTuple(b.U32(kXid).U32(kRel).U8('N')));
  }
  {
    MessageBuilder b('U');
    add("Update", Proto(1), false, MessageType::kUpdate, AllKindsTuple(b.U32(kRel).U8('N')));
  }
  {
    MessageBuilder b('U');
    AllKindsTuple(b.U32(kRel).U8('K'));
    add("UpdateWithKey", Proto(1), false, MessageType::kUpdate, AllKindsTuple(b.U8('N')));
  }
  {
    MessageBuilder b('U');
    AllKindsTuple(b.U32(kXid).U32(kRel).U8('O'));
    add("UpdateWithOldInStream", Proto(3), true, MessageType::kUpdate, AllKindsTuple(b.U8('N')));
  }
  {
    MessageBuilder b('D');
    add("DeleteKey", Proto(1), false, MessageType::kDelete, AllKindsTuple(b.U32(kRel).U8('K')));
  }
  {
    MessageBuilder b('D');
    add("DeleteOld", Proto(1), false, MessageType::kDelete, AllKindsTuple(b.U32(kRel).U8('O')));
  }
  add("Truncate", Proto(1), false, MessageType::kTruncate,
      MessageBuilder('T').U32(2).U8(3).U32(kRel).U32(kRel + 1));
  add("TruncateInStream", Proto(2), true, MessageType::kTruncate,
      MessageBuilder('T').U32(kXid).U32(1).U8(0).U32(kRel));
  add("Message", Proto(1), false, MessageType::kMessage,
      MessageBuilder('M').U8(1).U64(0x200).Str("pfx").U32(3).Bytes("abc"));
  add("MessageInStream", Proto(2), true, MessageType::kMessage,
      MessageBuilder('M').U32(kXid).U8(1).U64(0x200).Str("pfx").U32(3).Bytes("abc"));
  add("StreamStart", Proto(2), false, MessageType::kStreamStart,
      MessageBuilder('S').U32(kXid).U8(1));
  add("StreamStop", Proto(2), true, MessageType::kStreamStop, MessageBuilder('E'));
  add("StreamCommit", Proto(2), false, MessageType::kStreamCommit,
      MessageBuilder('c').U32(kXid).U8(0).U64(0x300).U64(0x380).I64(43));
  add("StreamAbort", Proto(2), false, MessageType::kStreamAbort,
      MessageBuilder('A').U32(kXid).U32(kXid + 1));
  add("StreamAbortParallel", Proto(4, true), false, MessageType::kStreamAbort,
      MessageBuilder('A').U32(kXid).U32(kXid).U64(0x400).I64(44));
  add("BeginPrepare", Proto(3), false, MessageType::kBeginPrepare,
      MessageBuilder('b').U64(0x500).U64(0x580).I64(45).U32(kXid).Str("gid-1"));
  add("Prepare", Proto(3), false, MessageType::kPrepare,
      MessageBuilder('P').U8(0).U64(0x500).U64(0x580).I64(45).U32(kXid).Str("gid-1"));
  add("CommitPrepared", Proto(3), false, MessageType::kCommitPrepared,
      MessageBuilder('K').U8(0).U64(0x600).U64(0x680).I64(46).U32(kXid).Str("gid-1"));
  add("RollbackPrepared", Proto(3), false, MessageType::kRollbackPrepared,
      MessageBuilder('r').U8(0).U64(0x580).U64(0x700).I64(45).I64(47).U32(kXid).Str("gid-1"));
  add("StreamPrepare", Proto(3), false, MessageType::kStreamPrepare,
      MessageBuilder('p').U8(0).U64(0x500).U64(0x580).I64(45).U32(kXid).Str("gid-2"));
  return cases;
}

// A decoder in the state the case needs.
Decoder Ready(const Case& c) {
  Decoder decoder(c.options);
  if (c.in_stream) {
    DecodedMessage out;
    EXPECT_TRUE(decoder.Decode(StreamStart(), &out).ok());
  }
  return decoder;
}

class EveryMessageTypeTest : public ::testing::TestWithParam<Case> {};

TEST_P(EveryMessageTypeTest, DecodesTheWholeMessage) {
  const Case& c = GetParam();
  Decoder decoder = Ready(c);
  DecodedMessage out;
  absl::Status status = decoder.Decode(c.payload, &out);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out.type, c.type);
  const bool has_xid = c.in_stream && c.type != MessageType::kStreamStop;
  EXPECT_EQ(out.xid, has_xid ? kXid : 0u);
}

TEST_P(EveryMessageTypeTest, EveryTruncationFails) {
  const Case& c = GetParam();
  for (size_t length = 0; length < c.payload.size(); ++length) {
    Decoder decoder = Ready(c);
    const bool stream_before = decoder.in_stream();
    DecodedMessage out;
    absl::Status status = decoder.Decode(std::string_view(c.payload).substr(0, length), &out);
    EXPECT_TRUE(absl::IsDataLoss(status)) << "prefix " << length << ": " << status;
    EXPECT_EQ(decoder.in_stream(), stream_before) << "prefix " << length;
  }
}

TEST_P(EveryMessageTypeTest, TrailingBytesFail) {
  const Case& c = GetParam();
  for (std::string_view extra : {std::string_view("\0", 1), std::string_view("xyz")}) {
    Decoder decoder = Ready(c);
    DecodedMessage out;
    absl::Status status = decoder.Decode(c.payload + std::string(extra), &out);
    EXPECT_TRUE(absl::IsDataLoss(status)) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("trailing"));
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("offset " + std::to_string(c.payload.size())));
  }
}

INSTANTIATE_TEST_SUITE_P(HandBuilt, EveryMessageTypeTest, ::testing::ValuesIn(AllCases()),
                         [](const auto& info) { return std::string(info.param.name); });

// Real captured bytes, decoded in order (so stream state is right): every
// prefix of every message fails, and so does every message with a byte added.
TEST(DecoderMalformedTest, EveryCapturedMessageRejectsTruncationAndTrailingBytes) {
  for (const char* name : {"dml_v1", "replica_full_v1", "toast_v1", "truncate_v1", "messages_v1",
                           "enum_type_v1", "binary_v1", "origin_v1", "stream_v2", "twophase_v3"}) {
    auto file = testing::LoadFixtureFile(std::string(DBMAZZ_FIXTURE_DIR) + "/" + name + ".txt");
    ASSERT_TRUE(file.ok()) << file.status();
    Decoder decoder(file->options);
    DecodedMessage out;
    for (const auto& message : file->messages) {
      std::string_view payload = message.payload;
      for (size_t length = 0; length < payload.size(); ++length) {
        Decoder copy = decoder;
        ASSERT_FALSE(copy.Decode(payload.substr(0, length), &out).ok())
            << name << " line " << message.line << " prefix " << length;
      }
      Decoder copy = decoder;
      ASSERT_FALSE(copy.Decode(message.payload + "!", &out).ok()) << name << " " << message.line;
      ASSERT_TRUE(decoder.Decode(payload, &out).ok()) << name << " line " << message.line;
    }
  }
}

TEST(DecoderMalformedTest, UnknownMessageTypesFail) {
  const std::string known = "BCORYIUDTMSEcAbPKrp";
  for (int byte = 0; byte < 256; ++byte) {
    if (known.find(static_cast<char>(byte)) != std::string::npos) continue;
    Decoder decoder(Proto(4, true));
    DecodedMessage out;
    std::string payload(1, static_cast<char>(byte));
    payload += std::string(20, '\0');
    absl::Status status = decoder.Decode(payload, &out);
    EXPECT_TRUE(absl::IsDataLoss(status)) << byte;
    EXPECT_THAT(std::string(status.message()), HasSubstr("unknown message type")) << byte;
  }
}

TEST(DecoderMalformedTest, EmptyPayloadFails) {
  Decoder decoder;
  DecodedMessage out;
  EXPECT_TRUE(absl::IsDataLoss(decoder.Decode("", &out)));
}

TEST(DecoderMalformedTest, UnknownColumnKindNamesTypeAndOffset) {
  std::string payload =
      MessageBuilder('I').U32(kRel).U8('N').U16(2).Value("1").U8('x').U32(1).Bytes("z").data();
  Decoder decoder;
  DecodedMessage out;
  absl::Status status = decoder.Decode(payload, &out);
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("pgoutput Insert"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("unknown tuple column kind 'x'"));
  // Offsets: type 0, relid 1-4, 'N' 5, ncols 6-7, 't' 8, len 9-12, "1" 13: kind at 14.
  EXPECT_THAT(std::string(status.message()), HasSubstr("offset 14"));
}

TEST(DecoderMalformedTest, InvalidTupleMarkersFail) {
  Decoder decoder;
  DecodedMessage out;
  for (char marker : {'X', 'n', '\0'}) {
    std::string update = MessageBuilder('U').U32(kRel).U8(marker).U16(1).Value("1").data();
    absl::Status status = decoder.Decode(update, &out);
    EXPECT_TRUE(absl::IsDataLoss(status));
    EXPECT_THAT(std::string(status.message()), HasSubstr("pgoutput Update"));
    EXPECT_THAT(std::string(status.message()), HasSubstr("offset 5"));
  }
  for (char marker : {'N', 'X'}) {
    std::string del = MessageBuilder('D').U32(kRel).U8(marker).U16(1).Value("1").data();
    absl::Status status = decoder.Decode(del, &out);
    EXPECT_TRUE(absl::IsDataLoss(status));
    EXPECT_THAT(std::string(status.message()), HasSubstr("invalid old tuple marker"));
  }
  // 'K' old tuple must be followed by 'N', not another old tuple.
  std::string double_old =
      MessageBuilder('U').U32(kRel).U8('K').U16(1).Value("1").U8('O').U16(1).Value("1").data();
  EXPECT_TRUE(absl::IsDataLoss(decoder.Decode(double_old, &out)));
  // Insert needs the 'N' marker.
  std::string insert = MessageBuilder('I').U32(kRel).U8('K').U16(1).Value("1").data();
  EXPECT_TRUE(absl::IsDataLoss(decoder.Decode(insert, &out)));
}

TEST(DecoderMalformedTest, UnknownReplicaIdentityFails) {
  std::string payload = MessageBuilder('R').U32(kRel).Str("public").Str("t").U8('z').U16(0).data();
  Decoder decoder;
  DecodedMessage out;
  absl::Status status = decoder.Decode(payload, &out);
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("replica identity"));
}

TEST(DecoderMalformedTest, HostileCountsAreRejectedBeforeAllocating) {
  Decoder decoder;
  DecodedMessage out;
  // 65535 tuple columns announced, 3 bytes follow.
  absl::Status tuple =
      decoder.Decode(MessageBuilder('I').U32(kRel).U8('N').U16(0xffff).Bytes("nnn").data(), &out);
  EXPECT_TRUE(absl::IsDataLoss(tuple));
  EXPECT_THAT(std::string(tuple.message()), HasSubstr("exceeds"));
  EXPECT_LT(out.insert.new_tuple.columns.capacity(), 100u);

  absl::Status relation = decoder.Decode(
      MessageBuilder('R').U32(kRel).Str("public").Str("t").U8('d').U16(0xffff).Bytes("abc").data(),
      &out);
  EXPECT_TRUE(absl::IsDataLoss(relation));
  EXPECT_THAT(std::string(relation.message()), HasSubstr("exceeds"));
  EXPECT_LT(out.relation.columns.capacity(), 100u);

  absl::Status truncate =
      decoder.Decode(MessageBuilder('T').U32(0xffffffff).U8(0).U32(kRel).data(), &out);
  EXPECT_TRUE(absl::IsDataLoss(truncate));
  EXPECT_THAT(std::string(truncate.message()), HasSubstr("exceeds"));
  EXPECT_LT(out.truncate.relation_ids.capacity(), 100u);

  // A value length far past the end.
  absl::Status value = decoder.Decode(
      MessageBuilder('I').U32(kRel).U8('N').U16(1).U8('t').U32(0xffffffff).Bytes("ab").data(),
      &out);
  EXPECT_TRUE(absl::IsDataLoss(value));
}

TEST(DecoderMalformedTest, StreamStateViolationsFail) {
  DecodedMessage out;
  {
    Decoder decoder(Proto(2));
    absl::Status status = decoder.Decode(MessageBuilder('E').data(), &out);
    EXPECT_TRUE(absl::IsDataLoss(status));
    EXPECT_THAT(std::string(status.message()), HasSubstr("Stream Stop without Stream Start"));
  }
  {
    Decoder decoder(Proto(2));
    ASSERT_TRUE(decoder.Decode(StreamStart(), &out).ok());
    EXPECT_TRUE(decoder.in_stream());
    absl::Status status = decoder.Decode(StreamStart(kXid + 1), &out);
    EXPECT_TRUE(absl::IsDataLoss(status));
    EXPECT_THAT(std::string(status.message()), HasSubstr("nested Stream Start"));
    EXPECT_TRUE(decoder.in_stream());
    // Transaction boundaries belong outside the block.
    for (const auto& c : AllCases()) {
      if (c.in_stream || c.type == MessageType::kOrigin || c.type == MessageType::kStreamStart) {
        continue;
      }
      const std::string boundaries = "BCcAbPKrp";
      if (boundaries.find(static_cast<char>(c.type)) != std::string::npos) {
        Decoder in_block(Proto(4, c.options.streaming_parallel));
        ASSERT_TRUE(in_block.Decode(StreamStart(), &out).ok());
        EXPECT_TRUE(absl::IsDataLoss(in_block.Decode(c.payload, &out))) << c.name;
      }
    }
    ASSERT_TRUE(decoder.Decode(MessageBuilder('E').data(), &out).ok());
    EXPECT_FALSE(decoder.in_stream());
    EXPECT_TRUE(absl::IsDataLoss(decoder.Decode(MessageBuilder('E').data(), &out)));
  }
}

TEST(DecoderMalformedTest, MessagesNeedTheirProtocolVersion) {
  DecodedMessage out;
  const std::string streaming = "SEcA";
  const std::string two_phase = "bPKrp";
  for (const auto& c : AllCases()) {
    int needed = 1;
    if (streaming.find(static_cast<char>(c.type)) != std::string::npos) needed = 2;
    if (two_phase.find(static_cast<char>(c.type)) != std::string::npos) needed = 3;
    if (c.in_stream || needed == 1) continue;
    Decoder older(Proto(needed - 1, c.options.streaming_parallel));
    absl::Status status = older.Decode(c.payload, &out);
    EXPECT_TRUE(absl::IsDataLoss(status)) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr("protocol version")) << c.name;
  }
}

TEST(DecoderMalformedTest, XidOnlyInsideStreamingBlock) {
  std::string insert = MessageBuilder('I').U32(kRel).U8('N').U16(1).Value("7").data();
  std::string insert_with_xid =
      MessageBuilder('I').U32(kXid).U32(kRel).U8('N').U16(1).Value("7").data();
  Decoder decoder(Proto(2));
  DecodedMessage out;
  ASSERT_TRUE(decoder.Decode(insert, &out).ok());
  EXPECT_EQ(out.xid, 0u);
  EXPECT_EQ(out.insert.relation_id, kRel);
  // Outside a block the xid-prefixed bytes do not parse as an Insert.
  EXPECT_FALSE(decoder.Decode(insert_with_xid, &out).ok());

  ASSERT_TRUE(decoder.Decode(StreamStart(), &out).ok());
  ASSERT_TRUE(decoder.Decode(insert_with_xid, &out).ok());
  EXPECT_EQ(out.xid, kXid);
  EXPECT_EQ(out.insert.relation_id, kRel);
  ASSERT_EQ(out.insert.new_tuple.columns.size(), 1u);
  EXPECT_EQ(out.insert.new_tuple.columns[0].data, "7");
  // The Origin message has no xid even inside a block.
  ASSERT_TRUE(decoder.Decode(MessageBuilder('O').U64(1).Str("o").data(), &out).ok());
  EXPECT_EQ(out.xid, 0u);
  ASSERT_TRUE(decoder.Decode(MessageBuilder('E').data(), &out).ok());
  ASSERT_TRUE(decoder.Decode(insert, &out).ok());
  EXPECT_EQ(out.xid, 0u);

  ASSERT_TRUE(decoder.Decode(StreamStart(), &out).ok());
  decoder.Reset();
  EXPECT_FALSE(decoder.in_stream());
  ASSERT_TRUE(decoder.Decode(insert, &out).ok());
}

TEST(DecoderMalformedTest, StreamAbortLayouts) {
  DecodedMessage out;
  std::string plain = MessageBuilder('A').U32(kXid).U32(kXid).data();
  std::string parallel = MessageBuilder('A').U32(kXid).U32(kXid + 5).U64(0xABCDEF).I64(-7).data();

  Decoder v2(Proto(2));
  ASSERT_TRUE(v2.Decode(plain, &out).ok());
  EXPECT_EQ(out.stream_abort.xid, kXid);
  EXPECT_EQ(out.stream_abort.subxid, kXid);  // the whole transaction
  EXPECT_FALSE(out.stream_abort.has_abort_info);
  EXPECT_EQ(out.stream_abort.abort_lsn, 0u);
  EXPECT_TRUE(absl::IsDataLoss(v2.Decode(parallel, &out)));  // 16 trailing bytes

  Decoder v4(Proto(4, true));
  ASSERT_TRUE(v4.Decode(parallel, &out).ok());
  EXPECT_EQ(out.stream_abort.subxid, kXid + 5);
  EXPECT_TRUE(out.stream_abort.has_abort_info);
  EXPECT_EQ(out.stream_abort.abort_lsn, 0xABCDEFu);
  EXPECT_EQ(out.stream_abort.abort_time, -7);
  EXPECT_TRUE(absl::IsDataLoss(v4.Decode(plain, &out)));  // abort info missing

  Decoder v4_not_parallel(Proto(4, false));
  ASSERT_TRUE(v4_not_parallel.Decode(plain, &out).ok());
}

TEST(DecoderMalformedTest, HandBuiltFieldsDecode) {
  DecodedMessage out;
  Decoder decoder(Proto(3));
  // The payload must outlive `out`: its views point into it.
  const std::string rollback =
      MessageBuilder('r').U8(0).U64(0x580).U64(0x700).I64(45).I64(47).U32(kXid).Str("gid-1").data();
  ASSERT_TRUE(decoder.Decode(rollback, &out).ok());
  EXPECT_EQ(out.rollback_prepared.prepare_end_lsn, 0x580u);
  EXPECT_EQ(out.rollback_prepared.rollback_end_lsn, 0x700u);
  EXPECT_EQ(out.rollback_prepared.prepare_time, 45);
  EXPECT_EQ(out.rollback_prepared.rollback_time, 47);
  EXPECT_EQ(out.rollback_prepared.xid, kXid);
  EXPECT_EQ(out.rollback_prepared.gid, "gid-1");

  ASSERT_TRUE(decoder.Decode(MessageBuilder('S').U32(9).U8(0).data(), &out).ok());
  EXPECT_EQ(out.stream_start.xid, 9u);
  EXPECT_EQ(out.stream_start.first_segment, 0);
  MessageBuilder b('I');
  AllKindsTuple(b.U32(10).U32(kRel).U8('N'));
  ASSERT_TRUE(decoder.Decode(b.data(), &out).ok());
  EXPECT_EQ(out.xid, 10u);
  const auto& columns = out.insert.new_tuple.columns;
  ASSERT_EQ(columns.size(), 4u);
  EXPECT_EQ(columns[0].kind, ColumnKind::kNull);
  EXPECT_EQ(columns[1].kind, ColumnKind::kUnchangedToast);
  EXPECT_EQ(columns[2].kind, ColumnKind::kText);
  EXPECT_EQ(columns[2].data, "abc");
  EXPECT_EQ(columns[3].kind, ColumnKind::kBinary);
  EXPECT_EQ(columns[3].data, std::string_view("\x00\x01", 2));
}

TEST(DecoderMalformedTest, ReusesVectorsAcrossDecodes) {
  Decoder decoder;
  DecodedMessage out;
  MessageBuilder wide('I');
  wide.U32(kRel).U8('N').U16(8);
  for (int i = 0; i < 8; ++i) wide.Value(std::to_string(i));
  ASSERT_TRUE(decoder.Decode(wide.data(), &out).ok());
  const ColumnValue* storage = out.insert.new_tuple.columns.data();
  const std::string narrow = MessageBuilder('I').U32(kRel).U8('N').U16(2).U8('n').Value("x").data();
  ASSERT_TRUE(decoder.Decode(narrow, &out).ok());
  ASSERT_EQ(out.insert.new_tuple.columns.size(), 2u);
  EXPECT_EQ(out.insert.new_tuple.columns[0].kind, ColumnKind::kNull);
  EXPECT_EQ(out.insert.new_tuple.columns[1].data, "x");
  EXPECT_EQ(out.insert.new_tuple.columns.data(), storage);  // no reallocation
  EXPECT_GE(out.insert.new_tuple.columns.capacity(), 8u);
}

}  // namespace
}  // namespace dbmazz::pgoutput
