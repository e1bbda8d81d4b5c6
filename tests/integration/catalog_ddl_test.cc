// StarRocks DDL generated from real PostgreSQL catalog entries.
#include "engine/sink/catalog_ddl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/pg_environment.h"

namespace dbmazz::sink {
namespace {

using ::testing::HasSubstr;
using testing::PgEnvironment;

class CatalogDdlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PgEnvironment::cluster().CreateDatabase("ddl").ok() ||
                PgEnvironment::cluster().Query("SELECT 1", "ddl").ok());
    auto conn = postgres::PgConnection::Connect(PgEnvironment::cluster().Dsn("ddl"), {});
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
    admin_ = std::make_unique<postgres::SourceAdmin>(conn_.get());
  }
  void Sql(std::string_view sql) {
    absl::Status s = PgEnvironment::cluster().Exec(sql, "ddl");
    ASSERT_TRUE(s.ok()) << s;
  }
  std::unique_ptr<postgres::PgConnection> conn_;
  std::unique_ptr<postgres::SourceAdmin> admin_;
};

TEST_F(CatalogDdlTest, KeyColumnsLeadAndTypesFollowTheMapping) {
  Sql("DROP TABLE IF EXISTS \"Order Items\"");
  Sql("CREATE TABLE \"Order Items\" (note text, qty int2, price numeric(12,2), sku varchar(20), "
      "order_id int8, line int4, created timestamptz, meta jsonb, tags text[], "
      "PRIMARY KEY (order_id, line))");
  auto ddl = DdlForTable(*admin_, postgres::TableName{"public", "Order Items"}, "shop");
  ASSERT_TRUE(ddl.ok()) << ddl.status();
  EXPECT_THAT(*ddl, HasSubstr("`shop`.`Order Items`"));
  // Key columns first, in key order, NOT NULL.
  size_t order_id = ddl->find("`order_id` BIGINT NOT NULL");
  size_t line = ddl->find("`line` INT NOT NULL");
  size_t note = ddl->find("`note`");
  ASSERT_NE(order_id, std::string::npos) << *ddl;
  ASSERT_NE(line, std::string::npos) << *ddl;
  EXPECT_LT(order_id, line);
  EXPECT_LT(line, note);
  EXPECT_THAT(*ddl, HasSubstr("`price` DECIMAL(12,2)"));
  EXPECT_THAT(*ddl, HasSubstr("`qty` SMALLINT"));
  EXPECT_THAT(*ddl, HasSubstr("`sku` VARCHAR(80)"));
  EXPECT_THAT(*ddl, HasSubstr("`created` DATETIME"));
  EXPECT_THAT(*ddl, HasSubstr("`meta` JSON"));
  EXPECT_THAT(*ddl, HasSubstr("`tags` ARRAY<"));
  EXPECT_THAT(*ddl, HasSubstr("PRIMARY KEY (`order_id`, `line`)"));
  EXPECT_THAT(*ddl, HasSubstr("DISTRIBUTED BY HASH(`order_id`, `line`)"));
}

TEST_F(CatalogDdlTest, TablesWithoutPrimaryKeyNeedNamedKeys) {
  Sql("DROP TABLE IF EXISTS events");
  Sql("CREATE TABLE events (id int8, body text)");
  Sql("ALTER TABLE events REPLICA IDENTITY FULL");
  auto missing = DdlForTable(*admin_, postgres::TableName{"public", "events"}, "shop");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition) << missing.status();
  auto named = DdlForTable(*admin_, postgres::TableName{"public", "events"}, "shop", "events_sr",
                           {}, {"id"});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_THAT(*named, HasSubstr("`shop`.`events_sr`"));
  EXPECT_THAT(*named, HasSubstr("PRIMARY KEY (`id`)"));
  auto bad =
      DdlForTable(*admin_, postgres::TableName{"public", "events"}, "shop", "", {}, {"nope"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto gone = DdlForTable(*admin_, postgres::TableName{"public", "no_such"}, "shop");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dbmazz::sink
