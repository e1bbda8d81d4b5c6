#include "engine/sink/label.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace dbmazz::sink {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

LabelSpec Spec(std::string_view pipeline, std::string_view table, Lsn first = 0x16B374D848ULL,
               Lsn last = 0x16B374D900ULL) {
  LabelSpec spec;
  spec.pipeline = pipeline;
  spec.table = table;
  spec.first_lsn = first;
  spec.last_lsn = last;
  return spec;
}

TEST(LabelTest, PlainNamesAreReadable) {
  EXPECT_EQ(MakeLabel(Spec("orders-sync", "orders")),
            "dbmazz_orders-sync_orders_16-B374D848_16-B374D900");
  LabelSpec spec = Spec("main", "order_items", 0, 0xFFFFFFFFFFFFFFFFULL);
  spec.sequence = 3;
  EXPECT_EQ(MakeLabel(spec), "dbmazz_main_order_items_0-0_FFFFFFFF-FFFFFFFF_3");
}

TEST(LabelTest, RowIndexesNameTheExactRowRange) {
  LabelSpec spec = Spec("main", "orders", 0x10, 0x10);
  spec.first_index = 0;
  spec.last_index = 2;
  EXPECT_EQ(MakeLabel(spec), "dbmazz_main_orders_0-10-0_0-10-2");
  LabelSpec longer = spec;
  longer.last_index = 4;  // the same transaction cut elsewhere on a replay
  EXPECT_NE(MakeLabel(spec), MakeLabel(longer));
  std::string long_name(300, 'n');
  LabelSpec max = Spec(long_name, long_name, ~Lsn{0}, ~Lsn{0});
  max.first_index = max.last_index = max.sequence = 4294967295u;
  std::string label = MakeLabel(max);
  EXPECT_TRUE(IsValidLabel(label)) << label;
  EXPECT_THAT(label,
              HasSubstr("_FFFFFFFF-FFFFFFFF-4294967295_FFFFFFFF-FFFFFFFF-4294967295_4294967295_h"));
}

TEST(LabelTest, Deterministic) {
  LabelSpec spec = Spec("pipe.line", "Tâble with spaces");
  spec.sequence = 7;
  EXPECT_EQ(MakeLabel(spec), MakeLabel(spec));
  std::string copy_pipeline = "pipe.line";
  std::string copy_table = "Tâble with spaces";
  LabelSpec same = Spec(copy_pipeline, copy_table);
  same.sequence = 7;
  EXPECT_EQ(MakeLabel(spec), MakeLabel(same));
}

TEST(LabelTest, SanitizesAndHashesAlteredNames) {
  std::string label = MakeLabel(Spec("pg.prod", "public.orders"));
  EXPECT_THAT(label, StartsWith("dbmazz_pg_prod_public_orders_16-B374D848_16-B374D900_h"));
  EXPECT_THAT(label, MatchesRegex("[-A-Za-z0-9_]+_h[0-9a-f]{16}"));
  EXPECT_TRUE(IsValidLabel(label));
}

TEST(LabelTest, SanitizedCollisionsStayDistinct) {
  // All of these sanitize to the same name parts.
  std::set<std::string> labels = {
      MakeLabel(Spec("p", "orders.v2")),        MakeLabel(Spec("p", "orders v2")),
      MakeLabel(Spec("p", "orders/v2")),        MakeLabel(Spec("p", "orders_v2")),
      MakeLabel(Spec("p", "orders\xc3\xa9v2")),
  };
  EXPECT_EQ(labels.size(), 5u);
}

TEST(LabelTest, SeparatorAmbiguityStaysDistinct) {
  // "a_b" + "c" and "a" + "b_c" would both read "a_b_c".
  EXPECT_NE(MakeLabel(Spec("a_b", "c")), MakeLabel(Spec("a", "b_c")));
  LabelSpec p1 = Spec("x", "t");
  p1.prefix = "dbmazz_a";
  LabelSpec p2 = Spec("a_x", "t");
  EXPECT_NE(MakeLabel(p1), MakeLabel(p2));
  // Without '_' in prefix or pipeline the label has no hash.
  EXPECT_THAT(MakeLabel(Spec("a", "b_c")), EndsWith("_16-B374D900"));
}

TEST(LabelTest, SequenceAndLsnsDistinguishBatches) {
  std::set<std::string> labels;
  for (Lsn first : {Lsn{1}, Lsn{2}, Lsn{0x100000001}}) {
    for (Lsn last : {Lsn{5}, Lsn{0x500000000}}) {
      LabelSpec spec = Spec("p", "t", first, last);
      labels.insert(MakeLabel(spec));
      for (uint32_t seq : {0u, 1u, 4294967295u}) {
        spec.sequence = seq;
        labels.insert(MakeLabel(spec));
      }
    }
  }
  EXPECT_EQ(labels.size(), 3u * 2u * 4u);
}

TEST(LabelTest, LongNamesAreShortenedWithinLimitAndKeepLsns) {
  std::string long_pipeline(300, 'p');
  std::string long_table(300, 't');
  std::string long_prefix(200, 'x');
  LabelSpec spec = Spec(long_pipeline, long_table, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL);
  spec.prefix = long_prefix;
  spec.sequence = 4294967295u;
  std::string label = MakeLabel(spec);
  EXPECT_EQ(label.size(), kMaxLabelLength);
  EXPECT_TRUE(IsValidLabel(label));
  EXPECT_THAT(label, HasSubstr("_FFFFFFFF-FFFFFFFF_FFFFFFFF-FFFFFFFF_4294967295_h"));

  // Names differing only past the cut still get different labels.
  std::string other_table = long_table;
  other_table.back() = 'u';
  LabelSpec other = spec;
  other.table = other_table;
  EXPECT_NE(MakeLabel(other), label);
}

TEST(LabelTest, ShortPartLeavesRoomToTheOther) {
  std::string long_table(200, 't');
  std::string label = MakeLabel(Spec("p", long_table));
  EXPECT_LE(label.size(), kMaxLabelLength);
  // The pipeline is kept whole; the table takes the rest.
  EXPECT_THAT(label, StartsWith("dbmazz_p_tttttttttttttttttttttttttttttt"));
}

TEST(LabelTest, EveryInputGivesAValidLabel) {
  const std::string samples[] = {"",
                                 "_",
                                 "-",
                                 "a",
                                 std::string(1, '\0'),
                                 "\xff\xfe",
                                 "a b\tc\n",
                                 std::string(129, 'z'),
                                 "ñandú",
                                 "x/y.z"};
  for (const std::string& prefix : samples) {
    for (const std::string& pipeline : samples) {
      for (const std::string& table : samples) {
        LabelSpec spec = Spec(pipeline, table, 0xDEADBEEFCAFEULL, 0xFFFFFFFFFFFFFFFFULL);
        spec.prefix = prefix;
        spec.sequence = 12;
        std::string label = MakeLabel(spec);
        EXPECT_TRUE(IsValidLabel(label)) << label;
        EXPECT_LE(label.size(), kMaxLabelLength);
      }
    }
  }
}

TEST(LabelTest, IsValidLabel) {
  EXPECT_TRUE(IsValidLabel("a"));
  EXPECT_TRUE(IsValidLabel("A-z_09"));
  EXPECT_TRUE(IsValidLabel(std::string(128, 'a')));
  EXPECT_FALSE(IsValidLabel(""));
  EXPECT_FALSE(IsValidLabel(std::string(129, 'a')));
  EXPECT_FALSE(IsValidLabel("a.b"));
  EXPECT_FALSE(IsValidLabel("a b"));
  EXPECT_FALSE(IsValidLabel("é"));
  EXPECT_FALSE(IsValidLabel(std::string_view("a\0b", 3)));
}

TEST(LabelTest, Fnv1a64KnownValues) {
  // Reference values of the FNV-1a 64-bit hash.
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

}  // namespace
}  // namespace dbmazz::sink
