#include "engine/postgres/identifiers.h"

#include <gtest/gtest.h>

namespace dbmazz::postgres {
namespace {

TEST(ParseTableNameTest, DefaultsToPublicAndFoldsCase) {
  auto t = ParseTableName("Orders");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->schema, "public");
  EXPECT_EQ(t->name, "orders");
  auto q = ParseTableName("Sales.Orders");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->schema, "sales");
  EXPECT_EQ(q->name, "orders");
}

TEST(ParseTableNameTest, QuotedPartsKeepCaseSpacesDotsAndQuotes) {
  auto t = ParseTableName(R"("My ""Odd"" Schema"."Order Items.v2")");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->schema, R"(My "Odd" Schema)");
  EXPECT_EQ(t->name, "Order Items.v2");
  EXPECT_EQ(t->Quoted(), R"("My ""Odd"" Schema"."Order Items.v2")");
  EXPECT_EQ(t->Display(), R"("My ""Odd"" Schema"."Order Items.v2")");
  auto plain = ParseTableName("public.orders");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->Display(), "public.orders");
}

TEST(ParseTableNameTest, RejectsMalformedNames) {
  for (const char* bad :
       {"", ".", "a.", ".a", "a.b.c", "\"unterminated", "\"a\"b", "a b", "x\"y", "a..b"}) {
    EXPECT_FALSE(ParseTableName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseTableName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ParseTableName(std::string(63, 'a')).ok());
  EXPECT_FALSE(ParseTableName(std::string("a\0b", 3)).ok());
}

TEST(QuoteTest, IdentifiersAndLiteralsAreEscaped) {
  EXPECT_EQ(QuoteIdentifier("t"), "\"t\"");
  EXPECT_EQ(QuoteIdentifier("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("back\\slash"), "'back\\slash'");
}

TEST(ValidateTest, SlotNamesFollowPostgresRules) {
  EXPECT_TRUE(ValidateSlotName("dbmazz_orders_1").ok());
  for (const char* bad : {"", "Upper", "with-dash", "with space", "quote'"}) {
    EXPECT_FALSE(ValidateSlotName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateSlotName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateIdentifier("publication", "Any \"name\" works").ok());
  EXPECT_FALSE(ValidateIdentifier("publication", "").ok());
}

}  // namespace
}  // namespace dbmazz::postgres
