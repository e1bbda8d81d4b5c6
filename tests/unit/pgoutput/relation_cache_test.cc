#include "engine/pgoutput/relation_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/pgoutput/decoder.h"
#include "tests/fixtures/pgoutput/fixture_file.h"

namespace dbmazz::pgoutput {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RelationMessage MakeRelation(uint32_t id, std::string_view schema, std::string_view name,
                             std::vector<RelationColumn> columns, char identity = 'd') {
  RelationMessage message;
  message.relation_id = id;
  message.namespace_name = schema;
  message.relation_name = name;
  message.replica_identity = identity;
  message.columns = std::move(columns);
  return message;
}

RelationColumn Col(std::string_view name, uint32_t oid, bool key = false, int32_t typmod = -1) {
  return RelationColumn{.flags = static_cast<uint8_t>(key ? 1 : 0),
                        .name = name,
                        .type_oid = oid,
                        .type_modifier = typmod};
}

TEST(RelationCacheTest, AppliesCapturedRelation) {
  auto file = testing::LoadFixtureFile(std::string(DBMAZZ_FIXTURE_DIR) + "/dml_v1.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  Decoder decoder(file->options);
  DecodedMessage out;
  ASSERT_TRUE(decoder.Decode(file->messages[1].payload, &out).ok());
  ASSERT_EQ(out.type, MessageType::kRelation);

  RelationCache cache;
  ASSERT_TRUE(cache.Apply(out.relation).ok());
  const Relation* orders = cache.Find(out.relation.relation_id);
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->id, out.relation.relation_id);
  EXPECT_EQ(orders->schema, "public");
  EXPECT_EQ(orders->name, "orders");
  EXPECT_EQ(orders->replica_identity, 'd');
  ASSERT_EQ(orders->columns.size(), 6u);
  EXPECT_EQ(orders->columns[3].name, "price");
  EXPECT_EQ(orders->columns[3].type_oid, 1700u);
  EXPECT_EQ(orders->columns[3].type_modifier, (12 << 16 | 2) + 4);
  EXPECT_THAT(orders->key_columns, ElementsAre(0));
  EXPECT_TRUE(orders->columns[0].is_key);
  EXPECT_FALSE(orders->columns[1].is_key);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RelationCacheTest, KeepsOwnedCopies) {
  RelationCache cache;
  {
    auto schema = std::make_unique<std::string>("sales");
    auto name = std::make_unique<std::string>("orders");
    auto column = std::make_unique<std::string>("id");
    ASSERT_TRUE(cache.Apply(MakeRelation(7, *schema, *name, {Col(*column, 20, true)})).ok());
    schema->assign("XXXXX");
    name->assign("XXXXXX");
    column->assign("XX");
  }
  const Relation* relation = cache.Find(7);
  ASSERT_NE(relation, nullptr);
  EXPECT_EQ(relation->schema, "sales");
  EXPECT_EQ(relation->name, "orders");
  EXPECT_EQ(relation->columns[0].name, "id");
}

TEST(RelationCacheTest, EmptyNamespaceMeansPgCatalog) {
  RelationCache cache;
  ASSERT_TRUE(cache.Apply(MakeRelation(1, "", "pg_thing", {Col("a", 23)})).ok());
  EXPECT_EQ(cache.Find(1)->schema, "pg_catalog");
}

TEST(RelationCacheTest, KeyColumnsComeFromFlags) {
  RelationCache cache;
  ASSERT_TRUE(cache
                  .Apply(MakeRelation(
                      2, "public", "t",
                      {Col("a", 23), Col("b", 25, true), Col("c", 16), Col("d", 20, true)}, 'i'))
                  .ok());
  const Relation* t = cache.Find(2);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(t->key_columns, ElementsAre(1, 3));
  EXPECT_EQ(t->replica_identity, 'i');
  EXPECT_FALSE(t->columns[0].is_key);
  EXPECT_TRUE(t->columns[3].is_key);

  RelationColumn flagged_twice = Col("e", 23);
  flagged_twice.flags = 0x81;  // unknown bits besides the key bit are ignored
  ASSERT_TRUE(cache.Apply(MakeRelation(3, "public", "u", {flagged_twice})).ok());
  EXPECT_THAT(cache.Find(3)->key_columns, ElementsAre(0));
}

TEST(RelationCacheTest, ZeroColumnsAreAllowed) {
  RelationCache cache;
  ASSERT_TRUE(cache.Apply(MakeRelation(4, "public", "empty", {})).ok());
  EXPECT_TRUE(cache.Find(4)->columns.empty());
  EXPECT_TRUE(cache.Find(4)->key_columns.empty());
}

TEST(RelationCacheTest, RejectsUnusableMessagesAndKeepsTheOldDefinition) {
  RelationCache cache;
  ASSERT_TRUE(cache.Apply(MakeRelation(5, "public", "t", {Col("a", 23, true)})).ok());
  const uint64_t generation = cache.Find(5)->generation;

  absl::Status duplicate =
      cache.Apply(MakeRelation(5, "public", "t", {Col("a", 23), Col("b", 25), Col("a", 25)}));
  EXPECT_TRUE(absl::IsInvalidArgument(duplicate));
  EXPECT_THAT(std::string(duplicate.message()), HasSubstr("duplicate column name \"a\""));
  EXPECT_THAT(std::string(duplicate.message()), HasSubstr("public.t"));

  EXPECT_TRUE(absl::IsInvalidArgument(cache.Apply(MakeRelation(5, "public", "t", {Col("", 23)}))));
  EXPECT_TRUE(absl::IsInvalidArgument(cache.Apply(MakeRelation(5, "public", "", {Col("a", 23)}))));
  EXPECT_TRUE(
      absl::IsInvalidArgument(cache.Apply(MakeRelation(5, "public", "t", {Col("a", 23)}, 'x'))));

  const Relation* kept = cache.Find(5);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->generation, generation);
  ASSERT_EQ(kept->columns.size(), 1u);
  EXPECT_EQ(kept->columns[0].name, "a");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(6), nullptr);
}

TEST(RelationCacheTest, RedefinitionReplacesAndBumpsGeneration) {
  RelationCache cache;
  ASSERT_TRUE(cache.Apply(MakeRelation(10, "public", "t", {Col("a", 23, true)})).ok());
  ASSERT_TRUE(cache.Apply(MakeRelation(11, "public", "u", {Col("a", 23, true)})).ok());
  const uint64_t first = cache.Find(10)->generation;
  EXPECT_GT(first, 0u);
  EXPECT_NE(cache.Find(11)->generation, first);

  // ALTER TABLE t ADD COLUMN b: PostgreSQL sends the relation again.
  ASSERT_TRUE(
      cache.Apply(MakeRelation(10, "public", "t", {Col("a", 23, true), Col("b", 25)})).ok());
  const Relation* redefined = cache.Find(10);
  EXPECT_GT(redefined->generation, first);
  EXPECT_EQ(redefined->columns.size(), 2u);
  EXPECT_EQ(cache.size(), 2u);

  // Same definition again still counts as a new definition.
  const uint64_t second = redefined->generation;
  ASSERT_TRUE(
      cache.Apply(MakeRelation(10, "public", "t", {Col("a", 23, true), Col("b", 25)})).ok());
  EXPECT_GT(cache.Find(10)->generation, second);
}

TEST(RelationCacheTest, RemembersTypes) {
  RelationCache cache;
  EXPECT_EQ(cache.FindTypeName(16400), nullptr);
  cache.ApplyType(TypeMessage{.type_oid = 16400, .namespace_name = "public", .type_name = "mood"});
  ASSERT_NE(cache.FindTypeName(16400), nullptr);
  EXPECT_EQ(*cache.FindTypeName(16400), "mood");
  cache.ApplyType(TypeMessage{.type_oid = 16400, .namespace_name = "public", .type_name = "feel"});
  EXPECT_EQ(*cache.FindTypeName(16400), "feel");
  EXPECT_EQ(cache.FindTypeName(16401), nullptr);
}

TEST(RelationCacheTest, ClearForgetsEverything) {
  RelationCache cache;
  ASSERT_TRUE(cache.Apply(MakeRelation(1, "public", "t", {Col("a", 23)})).ok());
  cache.ApplyType(TypeMessage{.type_oid = 16400, .namespace_name = "public", .type_name = "mood"});
  const uint64_t before = cache.Find(1)->generation;
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(cache.FindTypeName(16400), nullptr);
  // Generations stay unique across a Clear().
  ASSERT_TRUE(cache.Apply(MakeRelation(1, "public", "t", {Col("a", 23)})).ok());
  EXPECT_GT(cache.Find(1)->generation, before);
}

}  // namespace
}  // namespace dbmazz::pgoutput
