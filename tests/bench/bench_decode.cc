// Decode throughput of pgoutput messages captured from PostgreSQL 15
// (tests/fixtures/pgoutput). Run in Release:
//   cmake --build <build dir> --target bench_decode && <build dir>/tests/bench/bench_decode
// Reports items_per_second (messages decoded per second, one core) and
// allocs_per_msg (global operator new calls per decode, counted in this
// binary; expected 0 — see also tests/unit/pgoutput/decoder_alloc_test.cc).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/pgoutput/decoder.h"
#include "tests/fixtures/pgoutput/fixture_file.h"
#include "tests/support/alloc_counter.h"

namespace dbmazz::pgoutput {
namespace {

const testing::FixtureFile& Fixture(const char* name) {
  static auto* files = new std::vector<std::pair<std::string, testing::FixtureFile>>();
  for (const auto& [file_name, file] : *files) {
    if (file_name == name) return file;
  }
  auto loaded = testing::LoadFixtureFile(std::string(DBMAZZ_FIXTURE_DIR) + "/" + name + ".txt");
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    std::abort();
  }
  files->emplace_back(name, std::move(*loaded));
  return files->back().second;
}

// The index-th message of `fixture` whose type byte is `type`.
std::string Payload(const char* fixture, char type, int index = 0) {
  for (const auto& m : Fixture(fixture).messages) {
    if (m.payload[0] == type && index-- == 0) return m.payload;
  }
  std::fprintf(stderr, "no message '%c' in %s\n", type, fixture);
  std::abort();
}

// Decodes one payload repeatedly.
void DecodeOne(benchmark::State& state, const std::string& payload) {
  Decoder decoder;
  DecodedMessage out;
  if (!decoder.Decode(payload, &out).ok()) {
    state.SkipWithError("fixture payload does not decode");
    return;
  }
  long allocations_before = dbmazz::testing::AllocationCount();
  for (auto _ : state) {
    absl::Status status = decoder.Decode(payload, &out);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out);
  }
  long allocations = dbmazz::testing::AllocationCount() - allocations_before;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
  state.counters["allocs_per_msg"] =
      benchmark::Counter(static_cast<double>(allocations) / state.iterations());
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
}

// 6-column row: id bigint, customer text, qty int, price numeric, created_at timestamptz, paid
// bool.
void BM_DecodeInsert(benchmark::State& state) { DecodeOne(state, Payload("dml_v1", 'I')); }
void BM_DecodeUpdate(benchmark::State& state) { DecodeOne(state, Payload("dml_v1", 'U', 0)); }
void BM_DecodeUpdateKeyChange(benchmark::State& state) {
  DecodeOne(state, Payload("dml_v1", 'U', 1));
}
void BM_DecodeDelete(benchmark::State& state) { DecodeOne(state, Payload("dml_v1", 'D')); }
void BM_DecodeUpdateFullOldRow(benchmark::State& state) {
  DecodeOne(state, Payload("replica_full_v1", 'U'));
}
void BM_DecodeInsertBinary(benchmark::State& state) { DecodeOne(state, Payload("binary_v1", 'I')); }
void BM_DecodeRelation(benchmark::State& state) { DecodeOne(state, Payload("dml_v1", 'R')); }

// Every message of a captured streamed session, in order (stream state included).
void BM_DecodeStreamSession(benchmark::State& state) {
  const testing::FixtureFile& file = Fixture("stream_v2");
  Decoder decoder(file.options);
  DecodedMessage out;
  for (const auto& m : file.messages) {  // warm-up: the reused vectors grow once
    if (!decoder.Decode(m.payload, &out).ok()) {
      state.SkipWithError("fixture payload does not decode");
      return;
    }
  }
  long allocations_before = dbmazz::testing::AllocationCount();
  for (auto _ : state) {
    for (const auto& m : file.messages) {
      if (!decoder.Decode(m.payload, &out).ok()) {
        state.SkipWithError("fixture payload does not decode");
        return;
      }
      benchmark::DoNotOptimize(out);
    }
  }
  long allocations = dbmazz::testing::AllocationCount() - allocations_before;
  const int64_t messages = state.iterations() * static_cast<int64_t>(file.messages.size());
  state.SetItemsProcessed(messages);
  state.counters["allocs_per_msg"] =
      benchmark::Counter(static_cast<double>(allocations) / static_cast<double>(messages));
}

BENCHMARK(BM_DecodeInsert);
BENCHMARK(BM_DecodeUpdate);
BENCHMARK(BM_DecodeUpdateKeyChange);
BENCHMARK(BM_DecodeDelete);
BENCHMARK(BM_DecodeUpdateFullOldRow);
BENCHMARK(BM_DecodeInsertBinary);
BENCHMARK(BM_DecodeRelation);
BENCHMARK(BM_DecodeStreamSession);

}  // namespace
}  // namespace dbmazz::pgoutput

BENCHMARK_MAIN();
