#include "engine/sink/ddl_generator.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dbmazz::sink {
namespace {

using testing::HasSubstr;

int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | (scale & 0x7ff)) + 4;
}

TableSchema AllTypes() {
  TableSchema s;
  s.columns = {
      {"note", 25, -1},
      {"id", 20, -1},
      {"flag", 16, -1},
      {"small", 21, -1},
      {"num", 23, -1},
      {"ratio", 701, -1},
      {"amount", 1700, NumericTypmod(12, 2)},
      {"big", 1700, -1},
      {"code", 1043, 10 + 4},
      {"day", 1082, -1},
      {"at", 1114, -1},
      {"at_tz", 1184, -1},
      {"doc", 3802, -1},
      {"pic", 17, -1},
      {"tags", 1009, -1},
      {"uid", 2950, -1},
  };
  s.key_columns = {1};
  return s;
}

TEST(DdlGeneratorTest, MapsEveryColumnAndPutsTheKeyFirst) {
  DdlOptions options;
  const absl::StatusOr<std::string> sql = GenerateCreateTable("analytics", "orders", AllTypes());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(*sql,
            "CREATE TABLE IF NOT EXISTS `analytics`.`orders` (\n"
            "  `id` BIGINT NOT NULL,\n"
            "  `note` VARCHAR(1048576) NULL,\n"
            "  `flag` BOOLEAN NULL,\n"
            "  `small` SMALLINT NULL,\n"
            "  `num` INT NULL,\n"
            "  `ratio` DOUBLE NULL,\n"
            "  `amount` DECIMAL(12,2) NULL,\n"
            "  `big` VARCHAR(1048576) NULL,\n"
            "  `code` VARCHAR(40) NULL,\n"
            "  `day` DATE NULL,\n"
            "  `at` DATETIME NULL,\n"
            "  `at_tz` DATETIME NULL,\n"
            "  `doc` JSON NULL,\n"
            "  `pic` VARBINARY NULL,\n"
            "  `tags` ARRAY<VARCHAR(1048576)> NULL,\n"
            "  `uid` VARCHAR(36) NULL\n"
            ") PRIMARY KEY (`id`)\n"
            "DISTRIBUTED BY HASH(`id`)");
}

TEST(DdlGeneratorTest, CompositeKeyKeepsKeyOrderAndUsesKeyTypes) {
  TableSchema s;
  s.columns = {{"v", 25, -1},
               {"region", 1043, 20 + 4},
               {"price", 1700, NumericTypmod(10, 2)},
               {"day", 1082, -1}};
  s.key_columns = {3, 1, 2};
  DdlOptions options;
  options.if_not_exists = false;
  options.buckets = 8;
  options.properties = {{"replication_num", "1"}, {"odd\"key", "va\\lue"}};
  const absl::StatusOr<std::string> sql = GenerateCreateTable("db", "t", s, options);
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(*sql,
            "CREATE TABLE `db`.`t` (\n"
            "  `day` DATE NOT NULL,\n"
            "  `region` VARCHAR(80) NOT NULL,\n"
            "  `price` VARCHAR(13) NOT NULL,\n"
            "  `v` VARCHAR(1048576) NULL\n"
            ") PRIMARY KEY (`day`, `region`, `price`)\n"
            "DISTRIBUTED BY HASH(`day`, `region`, `price`) BUCKETS 8\n"
            "PROPERTIES (\"replication_num\" = \"1\", \"odd\\\"key\" = \"va\\\\lue\")");
}

TEST(DdlGeneratorTest, QuotesIdentifiersWithBackticks) {
  TableSchema s;
  s.columns = {{"we`ird", 23, -1}, {"sp ace", 25, -1}};
  s.key_columns = {0};
  const absl::StatusOr<std::string> sql = GenerateCreateTable("d`b", "ta`ble", s);
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_THAT(*sql, HasSubstr("`d``b`.`ta``ble`"));
  EXPECT_THAT(*sql, HasSubstr("`we``ird` INT NOT NULL"));
  EXPECT_THAT(*sql, HasSubstr("`sp ace` VARCHAR(1048576) NULL"));
  EXPECT_THAT(*sql, HasSubstr("PRIMARY KEY (`we``ird`)"));
}

TEST(DdlGeneratorTest, Errors) {
  TableSchema no_key = AllTypes();
  no_key.key_columns.clear();
  EXPECT_EQ(GenerateCreateTable("d", "t", no_key).status().code(),
            absl::StatusCode::kFailedPrecondition);

  TableSchema json_key = AllTypes();
  json_key.key_columns = {12};  // jsonb
  const absl::Status st = GenerateCreateTable("d", "t", json_key).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("doc"));

  TableSchema bad_index = AllTypes();
  bad_index.key_columns = {99};
  EXPECT_EQ(GenerateCreateTable("d", "t", bad_index).status().code(),
            absl::StatusCode::kInvalidArgument);

  TableSchema dup_key = AllTypes();
  dup_key.key_columns = {1, 1};
  EXPECT_EQ(GenerateCreateTable("d", "t", dup_key).status().code(),
            absl::StatusCode::kInvalidArgument);

  TableSchema case_clash;
  case_clash.columns = {{"Name", 25, -1}, {"name", 25, -1}, {"id", 23, -1}};
  case_clash.key_columns = {2};
  EXPECT_EQ(GenerateCreateTable("d", "t", case_clash).status().code(),
            absl::StatusCode::kInvalidArgument);

  TableSchema reserved;
  reserved.columns = {{"id", 23, -1}, {"__op", 23, -1}};
  reserved.key_columns = {0};
  EXPECT_EQ(GenerateCreateTable("d", "t", reserved).status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(GenerateCreateTable("", "t", AllTypes()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DdlGeneratorTest, FromRelation) {
  pgoutput::Relation rel;
  rel.id = 1;
  rel.schema = "public";
  rel.name = "items";
  rel.columns = {{"sku", 25, -1, true}, {"qty", 23, -1, false}, {"wh", 23, -1, true}};
  rel.key_columns = {0, 2};
  const TableSchema s = TableSchema::FromRelation(rel);
  ASSERT_EQ(s.columns.size(), 3u);
  EXPECT_EQ(s.columns[1].name, "qty");
  EXPECT_EQ(s.columns[1].type_oid, 23u);
  EXPECT_EQ(s.key_columns, (std::vector<int>{0, 2}));
  const absl::StatusOr<std::string> sql = GenerateCreateTable("d", "items", s);
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_THAT(*sql, HasSubstr("PRIMARY KEY (`sku`, `wh`)"));
  EXPECT_THAT(*sql, HasSubstr("  `sku` VARCHAR(1048576) NOT NULL,\n  `wh` INT NOT NULL,\n"
                              "  `qty` INT NULL\n"));
}

}  // namespace
}  // namespace dbmazz::sink
