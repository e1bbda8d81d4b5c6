// Decodes the payloads captured from a real PostgreSQL 15 server
// (tests/fixtures/pgoutput/*.txt, see capture.sh there) and checks the fields.
#include "engine/pgoutput/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pgoutput/messages.h"
#include "engine/pgoutput/relation_cache.h"
#include "tests/fixtures/pgoutput/fixture_file.h"

namespace dbmazz::pgoutput {
namespace {

using ::testing::ElementsAre;
using testing::FixtureFile;
using testing::LoadFixtureFile;

constexpr const char* kFixtures[] = {
    "dml_v1",       "replica_full_v1", "toast_v1",  "truncate_v1", "messages_v1",
    "enum_type_v1", "binary_v1",       "origin_v1", "stream_v2",   "twophase_v3",
};

std::string FixturePath(std::string_view name) {
  return std::string(DBMAZZ_FIXTURE_DIR) + "/" + std::string(name) + ".txt";
}

// "<null>" / "<toast>" / the text value of each column.
std::vector<std::string> Texts(const TupleData& tuple) {
  std::vector<std::string> texts;
  for (const ColumnValue& column : tuple.columns) {
    switch (column.kind) {
      case ColumnKind::kNull:
        texts.push_back("<null>");
        break;
      case ColumnKind::kUnchangedToast:
        texts.push_back("<toast>");
        break;
      case ColumnKind::kText:
        texts.emplace_back(column.data);
        break;
      case ColumnKind::kBinary:
        texts.push_back("<binary>");
        break;
    }
  }
  return texts;
}

uint64_t BigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = value << 8 | static_cast<unsigned char>(c);
  return value;
}

bool CarriesStreamXid(MessageType type) {
  switch (type) {
    case MessageType::kRelation:
    case MessageType::kType:
    case MessageType::kInsert:
    case MessageType::kUpdate:
    case MessageType::kDelete:
    case MessageType::kTruncate:
    case MessageType::kMessage:
      return true;
    default:
      return false;
  }
}

// 2024-01-02 03:04:05+00 in microseconds since 2000-01-01.
constexpr int64_t kCreatedAt = (1704164645 - kPgEpochUnixSeconds) * int64_t{1000000};

class FixtureTest : public ::testing::Test {
 protected:
  // Loads a fixture and decodes every line into decoded_ (copies; the views
  // point into file_, which lives as long as the test).
  void Load(std::string_view name) {
    absl::StatusOr<FixtureFile> file = LoadFixtureFile(FixturePath(name));
    ASSERT_TRUE(file.ok()) << file.status();
    file_ = std::move(*file);
    ASSERT_FALSE(file_.messages.empty());
    Decoder decoder(file_.options);
    DecodedMessage out;
    for (const auto& message : file_.messages) {
      absl::Status status = decoder.Decode(message.payload, &out);
      ASSERT_TRUE(status.ok()) << name << " line " << message.line << ": " << status;
      decoded_.push_back(out);
    }
    EXPECT_FALSE(decoder.in_stream());
  }

  std::string Types() const {
    std::string types;
    for (const auto& m : decoded_) types.push_back(static_cast<char>(m.type));
    return types;
  }

  std::vector<const DecodedMessage*> OfType(MessageType type) const {
    std::vector<const DecodedMessage*> found;
    for (const auto& m : decoded_) {
      if (m.type == type) found.push_back(&m);
    }
    return found;
  }

  FixtureFile file_;
  std::vector<DecodedMessage> decoded_;
};

class EveryFixtureTest : public FixtureTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(EveryFixtureTest, DecodesEveryLineWithConsistentLsnsAndXids) {
  ASSERT_NO_FATAL_FAILURE(Load(GetParam()));
  uint32_t stream_xid = 0;
  uint32_t txn_xid = 0;
  for (size_t i = 0; i < decoded_.size(); ++i) {
    const DecodedMessage& m = decoded_[i];
    const auto& line = file_.messages[i];
    SCOPED_TRACE(::testing::Message() << GetParam() << " line " << line.line);
    if (i > 0) {
      EXPECT_GE(line.lsn, file_.messages[i - 1].lsn);
    }
    if (m.type == MessageType::kStreamStart) stream_xid = m.stream_start.xid;
    if (m.type == MessageType::kBegin) {
      txn_xid = m.begin.xid;
      EXPECT_EQ(m.begin.xid, line.xid);
    }
    if (m.type == MessageType::kBeginPrepare) {
      EXPECT_EQ(m.begin_prepare.xid, line.xid);
    }
    const bool in_block = stream_xid != 0;
    if (in_block && CarriesStreamXid(m.type)) {
      // Changes of subtransactions carry the subtransaction's (larger) xid.
      EXPECT_GE(m.xid, stream_xid);
      EXPECT_EQ(line.xid, stream_xid);
    } else {
      EXPECT_EQ(m.xid, 0u);
    }
    if (m.type == MessageType::kCommit) {
      EXPECT_LT(m.commit.commit_lsn, m.commit.end_lsn);
      EXPECT_EQ(line.xid, txn_xid);
    }
    if (m.type == MessageType::kStreamStop) stream_xid = 0;
  }
}

TEST_P(EveryFixtureTest, TransactionsPairUp) {
  ASSERT_NO_FATAL_FAILURE(Load(GetParam()));
  const DecodedMessage* begin = nullptr;
  for (const auto& m : decoded_) {
    if (m.type == MessageType::kBegin) {
      EXPECT_EQ(begin, nullptr) << "Begin inside a transaction";
      begin = &m;
    } else if (m.type == MessageType::kCommit) {
      ASSERT_NE(begin, nullptr) << "Commit without Begin";
      EXPECT_EQ(m.commit.commit_lsn, begin->begin.final_lsn);
      EXPECT_EQ(m.commit.commit_time, begin->begin.commit_time);
      begin = nullptr;
    }
  }
  EXPECT_EQ(begin, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Captured, EveryFixtureTest, ::testing::ValuesIn(kFixtures));

TEST_F(FixtureTest, DmlOnSixColumnRow) {
  ASSERT_NO_FATAL_FAILURE(Load("dml_v1"));
  EXPECT_EQ(file_.options.protocol_version, 1);
  EXPECT_EQ(Types(), "BRICBICBUCBUCBDCBIIC");

  const RelationMessage& rel = decoded_[1].relation;
  EXPECT_EQ(rel.namespace_name, "public");
  EXPECT_EQ(rel.relation_name, "orders");
  EXPECT_EQ(rel.replica_identity, 'd');
  ASSERT_EQ(rel.columns.size(), 6u);
  std::vector<std::string> names;
  for (const auto& c : rel.columns) names.emplace_back(c.name);
  EXPECT_THAT(names, ElementsAre("id", "customer", "qty", "price", "created_at", "paid"));
  EXPECT_TRUE(rel.columns[0].is_key());
  for (size_t i = 1; i < 6; ++i) EXPECT_FALSE(rel.columns[i].is_key()) << i;
  EXPECT_EQ(rel.columns[0].type_oid, 20u);    // int8
  EXPECT_EQ(rel.columns[1].type_oid, 25u);    // text
  EXPECT_EQ(rel.columns[2].type_oid, 23u);    // int4
  EXPECT_EQ(rel.columns[3].type_oid, 1700u);  // numeric
  EXPECT_EQ(rel.columns[3].type_modifier, (12 << 16 | 2) + 4);
  EXPECT_EQ(rel.columns[4].type_oid, 1184u);  // timestamptz
  EXPECT_EQ(rel.columns[5].type_oid, 16u);    // bool
  EXPECT_EQ(rel.columns[0].type_modifier, -1);

  const InsertMessage& alice = decoded_[2].insert;
  EXPECT_EQ(alice.relation_id, rel.relation_id);
  EXPECT_THAT(Texts(alice.new_tuple),
              ElementsAre("1", "alice", "3", "19.99", "2024-01-02 03:04:05+00", "t"));
  // Zero-copy: the value views point into the payload.
  const std::string& payload = file_.messages[2].payload;
  EXPECT_GE(alice.new_tuple.columns[1].data.data(), payload.data());
  EXPECT_LT(alice.new_tuple.columns[1].data.data(), payload.data() + payload.size());

  EXPECT_THAT(Texts(decoded_[5].insert.new_tuple),
              ElementsAre("2", "bob", "<null>", "<null>", "<null>", "<null>"));

  const UpdateMessage& plain_update = decoded_[8].update;
  EXPECT_EQ(plain_update.old_kind, 0);
  EXPECT_TRUE(plain_update.old_tuple.columns.empty());
  EXPECT_THAT(Texts(plain_update.new_tuple),
              ElementsAre("1", "alice", "4", "19.99", "2024-01-02 03:04:05+00", "f"));

  const UpdateMessage& key_change = decoded_[11].update;
  EXPECT_EQ(key_change.old_kind, 'K');
  EXPECT_THAT(Texts(key_change.old_tuple),
              ElementsAre("2", "<null>", "<null>", "<null>", "<null>", "<null>"));
  EXPECT_THAT(Texts(key_change.new_tuple),
              ElementsAre("20", "bob", "<null>", "<null>", "<null>", "<null>"));

  const DeleteMessage& del = decoded_[14].del;
  EXPECT_EQ(del.old_kind, 'K');
  EXPECT_EQ(del.relation_id, rel.relation_id);
  EXPECT_THAT(Texts(del.old_tuple),
              ElementsAre("20", "<null>", "<null>", "<null>", "<null>", "<null>"));

  // One transaction with two rows, then its commit.
  EXPECT_THAT(Texts(decoded_[17].insert.new_tuple),
              ElementsAre("3", "carol", "1", "0.50", "2024-02-03 04:05:06+00", "f"));
  EXPECT_THAT(Texts(decoded_[18].insert.new_tuple),
              ElementsAre("4", "dave", "2", "1000000.00", "2024-03-04 05:06:07+00", "t"));

  // Transactions arrive in commit order.
  auto commits = OfType(MessageType::kCommit);
  ASSERT_EQ(commits.size(), 6u);
  for (size_t i = 1; i < commits.size(); ++i) {
    EXPECT_GT(commits[i]->commit.end_lsn, commits[i - 1]->commit.end_lsn);
    EXPECT_GE(commits[i]->commit.commit_time, commits[i - 1]->commit.commit_time);
  }
}

TEST_F(FixtureTest, ReplicaIdentityFullSendsOldRow) {
  ASSERT_NO_FATAL_FAILURE(Load("replica_full_v1"));
  EXPECT_EQ(Types(), "BRICBUCBDC");
  EXPECT_EQ(decoded_[1].relation.relation_name, "orders_full");
  EXPECT_EQ(decoded_[1].relation.replica_identity, 'f');
  // FULL marks every column as part of the identity.
  for (const auto& column : decoded_[1].relation.columns) EXPECT_TRUE(column.is_key());

  const UpdateMessage& update = decoded_[5].update;
  EXPECT_EQ(update.old_kind, 'O');
  EXPECT_THAT(Texts(update.old_tuple),
              ElementsAre("1", "alice", "3", "19.99", "2024-01-02 03:04:05+00", "t"));
  EXPECT_THAT(Texts(update.new_tuple),
              ElementsAre("1", "alice", "5", "19.99", "2024-01-02 03:04:05+00", "t"));

  const DeleteMessage& del = decoded_[8].del;
  EXPECT_EQ(del.old_kind, 'O');
  EXPECT_THAT(Texts(del.old_tuple),
              ElementsAre("1", "alice", "5", "19.99", "2024-01-02 03:04:05+00", "t"));
}

TEST_F(FixtureTest, UnchangedToastedValueIsNotSent) {
  ASSERT_NO_FATAL_FAILURE(Load("toast_v1"));
  EXPECT_EQ(Types(), "BRICBUC");
  std::string body;
  for (int i = 0; i < 300; ++i) body += "0123456789";
  EXPECT_THAT(Texts(decoded_[2].insert.new_tuple), ElementsAre("1", "v1", body));
  const UpdateMessage& update = decoded_[5].update;
  EXPECT_EQ(update.old_kind, 0);
  EXPECT_THAT(Texts(update.new_tuple), ElementsAre("1", "v2", "<toast>"));
  EXPECT_EQ(update.new_tuple.columns[2].kind, ColumnKind::kUnchangedToast);
  EXPECT_TRUE(update.new_tuple.columns[2].data.empty());
}

TEST_F(FixtureTest, TruncateListsRelationsAndOptions) {
  ASSERT_NO_FATAL_FAILURE(Load("truncate_v1"));
  EXPECT_EQ(Types(), "BRICBRICBRRTCBRRTC");
  uint32_t parent = decoded_[1].relation.relation_id;
  uint32_t child = decoded_[5].relation.relation_id;
  EXPECT_EQ(decoded_[1].relation.relation_name, "trunc_parent");
  EXPECT_EQ(decoded_[5].relation.relation_name, "trunc_child");
  const TruncateMessage& restart = decoded_[11].truncate;
  EXPECT_EQ(restart.options, 2);  // RESTART IDENTITY
  EXPECT_THAT(restart.relation_ids, ElementsAre(child, parent));
  const TruncateMessage& cascade = decoded_[16].truncate;
  EXPECT_EQ(cascade.options, 1);  // CASCADE
  EXPECT_THAT(cascade.relation_ids, ElementsAre(parent, child));
}

TEST_F(FixtureTest, LogicalMessages) {
  ASSERT_NO_FATAL_FAILURE(Load("messages_v1"));
  EXPECT_EQ(Types(), "MBRIMC");
  const LogicalMessage& outside = decoded_[0].message;
  EXPECT_EQ(outside.flags, 0);
  EXPECT_EQ(outside.prefix, "dbmazz");
  EXPECT_EQ(outside.content, "non-transactional");
  EXPECT_EQ(outside.lsn, file_.messages[0].lsn);
  const LogicalMessage& inside = decoded_[4].message;
  EXPECT_EQ(inside.flags, 1);
  EXPECT_EQ(inside.prefix, "dbmazz.bin");
  EXPECT_EQ(inside.content, std::string_view("\x00\xff\x10", 3));
  // The message's LSN is the end of its WAL record, at most the commit's.
  EXPECT_LE(inside.lsn, decoded_[5].commit.commit_lsn);
  EXPECT_GT(inside.lsn, outside.lsn);
}

TEST_F(FixtureTest, EnumColumnAnnouncedByTypeMessage) {
  ASSERT_NO_FATAL_FAILURE(Load("enum_type_v1"));
  EXPECT_EQ(Types(), "BYRIC");
  const TypeMessage& type = decoded_[1].type_info;
  EXPECT_EQ(type.namespace_name, "public");
  EXPECT_EQ(type.type_name, "mood");
  EXPECT_GE(type.type_oid, 16384u);
  const RelationMessage& rel = decoded_[2].relation;
  ASSERT_EQ(rel.columns.size(), 3u);
  EXPECT_EQ(rel.columns[2].name, "current_mood");
  EXPECT_EQ(rel.columns[2].type_oid, type.type_oid);
  EXPECT_THAT(Texts(decoded_[3].insert.new_tuple), ElementsAre("1", "pat", "happy"));

  RelationCache cache;
  cache.ApplyType(type);
  ASSERT_TRUE(cache.Apply(rel).ok());
  const std::string* name = cache.FindTypeName(cache.Find(rel.relation_id)->columns[2].type_oid);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(*name, "mood");
}

TEST_F(FixtureTest, BinaryModeSendsSendFormat) {
  ASSERT_NO_FATAL_FAILURE(Load("binary_v1"));
  EXPECT_EQ(Types(), "BRICBUCBDC");
  const TupleData& row = decoded_[2].insert.new_tuple;
  ASSERT_EQ(row.columns.size(), 6u);
  for (const auto& column : row.columns) EXPECT_EQ(column.kind, ColumnKind::kBinary);
  EXPECT_EQ(row.columns[0].data.size(), 8u);
  EXPECT_EQ(BigEndian(row.columns[0].data), 6u);  // int8 id
  EXPECT_EQ(row.columns[1].data, "frank");        // text send format is the text
  EXPECT_EQ(BigEndian(row.columns[2].data), 7u);  // int4 qty
  // numeric 12.34: ndigits 2, weight 0, sign +, dscale 2, base-10000 digits 12, 3400.
  EXPECT_EQ(row.columns[3].data, std::string_view("\0\2\0\0\0\0\0\2\0\x0c\x0d\x48", 12));
  EXPECT_EQ(static_cast<int64_t>(BigEndian(row.columns[4].data)), kCreatedAt);
  EXPECT_EQ(row.columns[5].data, std::string_view("\1", 1));  // bool true

  EXPECT_EQ(BigEndian(decoded_[5].update.new_tuple.columns[2].data), 8u);
  const DeleteMessage& del = decoded_[8].del;
  EXPECT_EQ(del.old_kind, 'K');
  EXPECT_EQ(del.old_tuple.columns[0].kind, ColumnKind::kBinary);
  EXPECT_EQ(BigEndian(del.old_tuple.columns[0].data), 6u);
  EXPECT_EQ(del.old_tuple.columns[1].kind, ColumnKind::kNull);
}

TEST_F(FixtureTest, OriginFollowsBegin) {
  ASSERT_NO_FATAL_FAILURE(Load("origin_v1"));
  EXPECT_EQ(Types(), "BORIC");
  EXPECT_EQ(decoded_[1].origin.name, "dbmazz_origin");
  EXPECT_EQ(decoded_[1].origin.commit_lsn, 0x12345678u);
  EXPECT_EQ(decoded_[0].begin.commit_time, kCreatedAt);  // set by pg_replication_origin_xact_setup
}

TEST_F(FixtureTest, StreamedTransactions) {
  ASSERT_NO_FATAL_FAILURE(Load("stream_v2"));
  EXPECT_EQ(file_.options.protocol_version, 2);
  auto starts = OfType(MessageType::kStreamStart);
  auto commits = OfType(MessageType::kStreamCommit);
  auto aborts = OfType(MessageType::kStreamAbort);
  ASSERT_EQ(commits.size(), 2u);
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_TRUE(OfType(MessageType::kBegin).empty());
  EXPECT_EQ(OfType(MessageType::kStreamStop).size(), starts.size());
  const uint32_t first = commits[0]->stream_commit.xid;
  const uint32_t second = commits[1]->stream_commit.xid;
  EXPECT_NE(first, second);

  // first_segment is set on the first block of each transaction only.
  std::set<uint32_t> seen;
  for (const auto* start : starts) {
    bool is_first = seen.insert(start->stream_start.xid).second;
    EXPECT_EQ(start->stream_start.first_segment, is_first ? 1 : 0);
  }
  EXPECT_EQ(seen, (std::set<uint32_t>{first, second}));

  // The subtransaction rolled back to its savepoint: Stream Abort names it.
  const StreamAbortMessage& abort = aborts[0]->stream_abort;
  EXPECT_EQ(abort.xid, second);
  EXPECT_GT(abort.subxid, second);
  EXPECT_FALSE(abort.has_abort_info);

  // Walk the blocks: changes carry the xid of the (sub)transaction they belong to.
  uint32_t block_xid = 0;
  int first_txn_inserts = 0;
  int aborted_sub_inserts = 0;
  bool after_abort = false;
  std::string message_content;
  bool saw_type = false, saw_truncate = false;
  for (const auto& m : decoded_) {
    switch (m.type) {
      case MessageType::kStreamStart:
        block_xid = m.stream_start.xid;
        break;
      case MessageType::kStreamStop:
        block_xid = 0;
        break;
      case MessageType::kStreamAbort:
        after_abort = true;
        break;
      case MessageType::kInsert:
        ASSERT_NE(block_xid, 0u);
        if (block_xid == first) {
          EXPECT_EQ(m.xid, first);
          ++first_txn_inserts;
        }
        if (m.xid == abort.subxid) {
          EXPECT_FALSE(after_abort);
          ++aborted_sub_inserts;
        }
        break;
      case MessageType::kMessage:
        EXPECT_EQ(m.xid, first);
        EXPECT_EQ(m.message.flags, 1);
        message_content = std::string(m.message.content);
        break;
      case MessageType::kType:
        EXPECT_EQ(m.xid, first);
        EXPECT_EQ(m.type_info.type_name, "mood");
        saw_type = true;
        break;
      case MessageType::kTruncate:
        EXPECT_EQ(m.xid, first);
        EXPECT_EQ(m.truncate.relation_ids.size(), 1u);
        saw_truncate = true;
        break;
      case MessageType::kStreamCommit:
        EXPECT_EQ(block_xid, 0u);  // outside any block
        EXPECT_LT(m.stream_commit.commit_lsn, m.stream_commit.end_lsn);
        break;
      default:
        break;
    }
  }
  EXPECT_EQ(first_txn_inserts, 1 + 701);  // people row + generate_series(1000, 1700)
  EXPECT_GT(aborted_sub_inserts, 0);
  EXPECT_EQ(message_content, "inside a stream");
  EXPECT_TRUE(saw_type);
  EXPECT_TRUE(saw_truncate);
}

TEST_F(FixtureTest, TwoPhaseCommitAndRollback) {
  ASSERT_NO_FATAL_FAILURE(Load("twophase_v3"));
  EXPECT_EQ(file_.options.protocol_version, 3);
  auto begins = OfType(MessageType::kBeginPrepare);
  auto prepares = OfType(MessageType::kPrepare);
  auto commits = OfType(MessageType::kCommitPrepared);
  auto rollbacks = OfType(MessageType::kRollbackPrepared);
  auto stream_prepares = OfType(MessageType::kStreamPrepare);
  ASSERT_EQ(begins.size(), 2u);
  ASSERT_EQ(prepares.size(), 2u);
  ASSERT_EQ(commits.size(), 2u);
  ASSERT_EQ(rollbacks.size(), 1u);
  ASSERT_EQ(stream_prepares.size(), 1u);

  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(begins[i]->begin_prepare.xid, prepares[i]->prepare.xid);
    EXPECT_EQ(begins[i]->begin_prepare.gid, prepares[i]->prepare.gid);
    EXPECT_EQ(begins[i]->begin_prepare.prepare_lsn, prepares[i]->prepare.prepare_lsn);
    EXPECT_EQ(begins[i]->begin_prepare.end_lsn, prepares[i]->prepare.end_lsn);
  }
  EXPECT_EQ(begins[0]->begin_prepare.gid, "dbmazz_gid_commit");
  EXPECT_EQ(commits[0]->commit_prepared.gid, "dbmazz_gid_commit");
  EXPECT_EQ(commits[0]->commit_prepared.xid, prepares[0]->prepare.xid);
  EXPECT_GT(commits[0]->commit_prepared.end_lsn, prepares[0]->prepare.end_lsn);

  const RollbackPreparedMessage& rollback = rollbacks[0]->rollback_prepared;
  EXPECT_EQ(rollback.gid, "dbmazz_gid_rollback");
  EXPECT_EQ(rollback.xid, prepares[1]->prepare.xid);
  EXPECT_EQ(rollback.prepare_end_lsn, prepares[1]->prepare.end_lsn);
  EXPECT_EQ(rollback.prepare_time, prepares[1]->prepare.prepare_time);
  EXPECT_GT(rollback.rollback_end_lsn, rollback.prepare_end_lsn);

  const PrepareMessage& streamed = stream_prepares[0]->prepare;
  EXPECT_EQ(streamed.gid, "dbmazz_gid_stream");
  EXPECT_EQ(streamed.xid, OfType(MessageType::kStreamStart)[0]->stream_start.xid);
  EXPECT_EQ(commits[1]->commit_prepared.gid, "dbmazz_gid_stream");
  EXPECT_EQ(commits[1]->commit_prepared.xid, streamed.xid);
  EXPECT_EQ(Types().back(), 'K');
}

}  // namespace
}  // namespace dbmazz::pgoutput
