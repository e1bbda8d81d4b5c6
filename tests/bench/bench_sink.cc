// End-to-end load rate of the sink against the StarRocks emulator: decoded
// 6-column inserts → StarRocksSink (encode, batch) → Stream Load over HTTP
// (FE 307 → BE) → emulator applies them as a primary-key table.
//
//   build/release/tests/bench/bench_sink [--rows N] [--txn-rows N]
//
// Prints rows/s, batches and bytes. The emulator runs in the same process on
// the same two cores, so the figure is a floor for the sink, not a ceiling.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/sink/starrocks_sink.h"
#include "engine/sink/stream_load_batch_loader.h"
#include "tests/support/starrocks_emulator/emulator.h"

namespace {

using namespace dbmazz;

constexpr char kSchema[] = R"yaml(
databases:
  - name: bench
    tables:
      - name: orders
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: name, type: "VARCHAR(64)"}
          - {name: amount, type: "DECIMAL(12,2)"}
          - {name: created, type: DATETIME}
          - {name: flag, type: BOOLEAN}
          - {name: payload, type: JSON}
)yaml";

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1000000;
  uint64_t txn_rows = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--txn-rows") txn_rows = std::strtoull(argv[i + 1], nullptr, 10);
  }
  auto schema = starrocks_emulator::ParseSchema(kSchema);
  Check(schema.status(), "schema");
  starrocks_emulator::EmulatorOptions eo;
  eo.schema = *schema;
  auto emulator = starrocks_emulator::StarRocksEmulator::Start(std::move(eo));
  Check(emulator.status(), "emulator");

  sink::StreamLoadOptions lo;
  lo.fe_url = (*emulator)->fe_url();
  lo.database = "bench";
  lo.user = "root";
  auto client = sink::StreamLoadClient::Create(lo);
  Check(client.status(), "client");
  sink::StreamLoadBatchLoader loader("bench", std::move(*client));
  sink::StarRocksSink sink(sink::SinkOptions{}, &loader, 0);

  // The relation and one reusable row message.
  std::deque<std::string> names = {"public", "orders",  "id",   "name",
                                   "amount", "created", "flag", "payload"};
  pgoutput::DecodedMessage m;
  m.type = pgoutput::MessageType::kRelation;
  m.relation.relation_id = 1;
  m.relation.namespace_name = names[0];
  m.relation.relation_name = names[1];
  const uint32_t types[] = {20, 25, 1700, 1184, 16, 3802};
  const int32_t mods[] = {-1, -1, (12 << 16 | 2) + 4, -1, -1, -1};
  for (int c = 0; c < 6; ++c) {
    m.relation.columns.push_back({static_cast<uint8_t>(c == 0), names[2 + c], types[c], mods[c]});
  }
  Check(sink.OnMessage(m), "relation");

  pgoutput::DecodedMessage begin, insert, commit;
  begin.type = pgoutput::MessageType::kBegin;
  commit.type = pgoutput::MessageType::kCommit;
  insert.type = pgoutput::MessageType::kInsert;
  insert.insert.relation_id = 1;
  std::string id, name, amount;
  std::string created = "2024-03-01 12:34:56.123456+00",
              payload = R"({"k": 1, "tags": ["a", "b"]})";
  auto tick = [] { return true; };

  absl::Time start = absl::Now();
  Lsn lsn = 0x1000000;
  uint64_t written = 0;
  while (written < rows) {
    begin.begin.final_lsn = lsn;
    Check(sink.OnMessage(begin), "begin");
    for (uint64_t r = 0; r < txn_rows && written < rows; ++r, ++written) {
      id = std::to_string(written + 1);
      name = absl::StrCat("customer ", written);
      amount = absl::StrCat(written % 100000, ".", written % 100 < 10 ? "0" : "", written % 100);
      insert.insert.new_tuple.columns = {{pgoutput::ColumnKind::kText, id},
                                         {pgoutput::ColumnKind::kText, name},
                                         {pgoutput::ColumnKind::kText, amount},
                                         {pgoutput::ColumnKind::kText, created},
                                         {pgoutput::ColumnKind::kText, written % 2 ? "t" : "f"},
                                         {pgoutput::ColumnKind::kText, payload}};
      Check(sink.OnMessage(insert), "insert");
    }
    commit.commit.commit_lsn = lsn;
    commit.commit.end_lsn = lsn + 8;
    Check(sink.OnMessage(commit), "commit");
    lsn += 0x100;
    Check(sink.Flush(absl::Now(), false, tick), "flush");
  }
  Check(sink.Flush(absl::Now(), true, tick), "final flush");
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  auto count = (*emulator)->RowCount("bench", "orders");
  Check(count.status(), "count");
  if (static_cast<uint64_t>(*count) != rows || sink.durable_lsn() != lsn - 0x100 + 8) {
    std::fprintf(stderr, "mismatch: %lld rows in the emulator, durable %s\n",
                 static_cast<long long>(*count), FormatLsn(sink.durable_lsn()).c_str());
    return 1;
  }
  const auto& st = sink.stats();
  std::printf(
      "rows %llu, transactions of %llu rows, %.2f s, %.0f rows/s, %llu batches, %.1f MB JSON, "
      "%.0f bytes/row\n",
      static_cast<unsigned long long>(rows), static_cast<unsigned long long>(txn_rows), seconds,
      rows / seconds, static_cast<unsigned long long>(st.batches_loaded), st.bytes_loaded / 1e6,
      static_cast<double>(st.bytes_loaded) / rows);
  return 0;
}
