#include "engine/replication/replication_commands.h"

#include <gtest/gtest.h>

namespace dbmazz::replication {
namespace {

StartOptions Options() {
  StartOptions o;
  o.slot_name = "dbmazz_slot";
  o.publications = {"pub", "Other \"Pub\""};
  o.start_lsn = 0x16B374D848ull;
  return o;
}

TEST(ReplicationCommandsTest, ProtocolVersionFollowsServerVersion) {
  EXPECT_EQ(DefaultProtocolVersion(130011), 1);
  EXPECT_EQ(DefaultProtocolVersion(140010), 2);
  EXPECT_EQ(DefaultProtocolVersion(150018), 3);
  EXPECT_EQ(DefaultProtocolVersion(170010), 4);
}

TEST(ReplicationCommandsTest, StartCommandOnPg15QuotesNamesAndAsksForMessages) {
  auto cmd = BuildStartReplicationCommand(Options(), 150018);
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(*cmd,
            "START_REPLICATION SLOT \"dbmazz_slot\" LOGICAL 16/B374D848 (proto_version '3', "
            "publication_names '\"pub\",\"Other \"\"Pub\"\"\"', messages 'true')");
}

TEST(ReplicationCommandsTest, OldServersGetProtocolOneAndNoNewOptions) {
  auto cmd = BuildStartReplicationCommand(Options(), 130011);
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_NE(cmd->find("proto_version '1'"), std::string::npos);
  EXPECT_EQ(cmd->find("messages"), std::string::npos);
  EXPECT_EQ(cmd->find("streaming"), std::string::npos);
  StartOptions binary = Options();
  binary.binary = true;
  EXPECT_FALSE(BuildStartReplicationCommand(binary, 130011).ok());
  EXPECT_FALSE(BuildStartReplicationCommand(Options(), 90600).ok());
}

TEST(ReplicationCommandsTest, RejectsBadInput) {
  StartOptions o = Options();
  o.protocol_version = 4;
  EXPECT_FALSE(BuildStartReplicationCommand(o, 150018).ok());  // v4 needs PG16
  EXPECT_TRUE(BuildStartReplicationCommand(o, 160000).ok());
  o = Options();
  o.slot_name = "bad'slot";
  EXPECT_FALSE(BuildStartReplicationCommand(o, 150018).ok());
  o = Options();
  o.publications.clear();
  EXPECT_FALSE(BuildStartReplicationCommand(o, 150018).ok());
}

}  // namespace
}  // namespace dbmazz::replication
