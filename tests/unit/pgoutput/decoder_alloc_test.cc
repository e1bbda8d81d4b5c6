// Proves the hot path allocates nothing: this binary replaces the global
// operator new with a counting one, warms a Decoder up on captured payloads,
// then decodes them 10,000 more times and expects zero allocations.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine/pgoutput/decoder.h"
#include "engine/pgoutput/relation_cache.h"
#include "tests/fixtures/pgoutput/fixture_file.h"
#include "tests/support/alloc_counter.h"

namespace dbmazz::pgoutput {
namespace {

constexpr int kDecodes = 10000;

std::vector<std::string> Payloads(const char* name) {
  auto file = testing::LoadFixtureFile(std::string(DBMAZZ_FIXTURE_DIR) + "/" + name + ".txt");
  EXPECT_TRUE(file.ok()) << file.status();
  std::vector<std::string> payloads;
  if (file.ok()) {
    for (auto& m : file->messages) payloads.push_back(std::move(m.payload));
  }
  return payloads;
}

TEST(DecoderAllocationTest, CounterSeesAllocations) {
  long before = dbmazz::testing::AllocationCount();
  // Direct calls to operator new cannot be elided by the optimiser.
  void* a = ::operator new(64);
  void* b = ::operator new(128);
  ::operator delete(a);
  ::operator delete(b);
  EXPECT_EQ(dbmazz::testing::AllocationCount() - before, 2);  // the counter works
}

TEST(DecoderAllocationTest, InsertUpdateDeleteAllocateNothingAfterWarmUp) {
  // dml_v1: Begin, Relation, Insert, Update (plain and with K), Delete, Commit.
  std::vector<std::string> payloads = Payloads("dml_v1");
  ASSERT_EQ(payloads.size(), 20u);
  Decoder decoder;
  DecodedMessage out;
  RelationCache cache;
  for (const auto& payload : payloads) {  // warm-up: vectors grow once
    ASSERT_TRUE(decoder.Decode(payload, &out).ok());
    if (out.type == MessageType::kRelation) {
      ASSERT_TRUE(cache.Apply(out.relation).ok());
    }
  }
  const uint32_t relation_id = out.insert.relation_id;

  long before = dbmazz::testing::AllocationCount();
  long decoded = 0;
  long found = 0;
  for (int i = 0; i < kDecodes; ++i) {
    const std::string& payload = payloads[i % payloads.size()];
    if (payload[0] == 'R') continue;  // Apply() copies by design; Decode is what we measure
    if (!decoder.Decode(payload, &out).ok()) break;
    ++decoded;
    if (cache.Find(relation_id) != nullptr) ++found;
  }
  long allocations = dbmazz::testing::AllocationCount() - before;
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(decoded, kDecodes - kDecodes / 20);  // one payload in 20 is the Relation
  EXPECT_EQ(found, decoded);
}

TEST(DecoderAllocationTest, StreamingAndTwoPhaseAllocateNothingAfterWarmUp) {
  for (const char* name : {"stream_v2", "twophase_v3", "truncate_v1", "messages_v1"}) {
    std::vector<std::string> payloads = Payloads(name);
    ASSERT_FALSE(payloads.empty());
    auto file = testing::LoadFixtureFile(std::string(DBMAZZ_FIXTURE_DIR) + "/" + name + ".txt");
    ASSERT_TRUE(file.ok());
    Decoder decoder(file->options);
    DecodedMessage out;
    for (const auto& payload : payloads) ASSERT_TRUE(decoder.Decode(payload, &out).ok());
    long before = dbmazz::testing::AllocationCount();
    int decoded = 0;
    bool ok = true;
    // Whole passes keep the stream state consistent.
    while (ok && decoded < kDecodes) {
      for (const auto& payload : payloads) {
        ok = decoder.Decode(payload, &out).ok();
        if (!ok) break;
        ++decoded;
      }
    }
    EXPECT_EQ(dbmazz::testing::AllocationCount() - before, 0) << name;
    EXPECT_TRUE(ok) << name;
    EXPECT_GE(decoded, kDecodes);
  }
}

}  // namespace
}  // namespace dbmazz::pgoutput
