// The snapshot's copy path against the streaming path, value for value:
// the same rows are copied (COPY text format) into one table and streamed
// (pgoutput) into a twin, for every mapped type family, NULLs, escapes,
// TOASTed values and a generated column; the two StarRocks tables must be
// identical. (bytea is left out: the emulator does not evaluate the
// hex_decode_binary() column expression the sink sends for it.) Plus tables with 0 and 1 rows and
// one without a primary key (REPLICA IDENTITY FULL, key named in the spec).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/engine_fixture.h"
#include "tests/support/starrocks_emulator/emulator.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::runtime {
namespace {

constexpr char kColumns[] = R"yaml(
        columns:
          - {name: id, type: INT, not_null: true}
          - {name: b, type: BOOLEAN}
          - {name: i2, type: SMALLINT}
          - {name: i8, type: BIGINT}
          - {name: f4, type: FLOAT}
          - {name: f8, type: DOUBLE}
          - {name: n, type: "DECIMAL(12,3)"}
          - {name: nu, type: "VARCHAR(1048576)"}
          - {name: t, type: "VARCHAR(1048576)"}
          - {name: vc, type: "VARCHAR(40)"}
          - {name: ch, type: "VARCHAR(16)"}
          - {name: u, type: "VARCHAR(36)"}
          - {name: d, type: DATE}
          - {name: ts, type: DATETIME}
          - {name: tz, type: DATETIME}
          - {name: tm, type: "VARCHAR(15)"}
          - {name: iv, type: "VARCHAR(128)"}
          - {name: j, type: JSON}
          - {name: jb, type: JSON}
          - {name: ai, type: "ARRAY<INT>"}
          - {name: at, type: "ARRAY<VARCHAR(1048576)>"}
          - {name: ip, type: "VARCHAR(64)"}
          - {name: big, type: "VARCHAR(1048576)"}
)yaml";

std::string Schema() {
  return absl::StrCat(R"yaml(
users:
  - {name: dbmazz, password: "s3cr:et pw"}
databases:
  - name: shop
    tables:
      - name: t_copy
        keys: primary
        key_columns: [id])yaml",
                      kColumns, R"yaml(
      - name: t_stream
        keys: primary
        key_columns: [id])yaml",
                      kColumns, R"yaml(
      - name: nopk
        keys: primary
        key_columns: [a]
        columns:
          - {name: a, type: INT, not_null: true}
          - {name: b, type: "VARCHAR(1048576)"}
      - name: empty_t
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: INT, not_null: true}
      - name: one_t
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: INT, not_null: true}
          - {name: v, type: "VARCHAR(64)"}
)yaml");
}

// The same rows for both twins: every value shape the sink must carry.
std::string InsertRows(std::string_view table) {
  return absl::StrCat(
      "INSERT INTO ", AsAbsl(table),
      " (id, b, i2, i8, f4, f8, n, nu, t, vc, ch, u, d, ts, tz, tm, iv, j, jb, ai, at, ip, big) "
      "SELECT i, i % 2 = 0, (i % 300)::int2, i::int8 * 1000000007, i / 3.0, i / 7.0, i * 1.125, "
      "(i * 3.14159265358979)::numeric, "
      "CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN E'tab\\there\\nnew \\\\ back' "
      "WHEN 2 THEN 'quote '' \" end' WHEN 3 THEN 'ünïcødé ✓' ELSE '' END, "
      "'v' || i, 'ab', md5(i::text)::uuid, DATE '2024-02-29' + i, "
      "TIMESTAMP '2024-01-01 12:34:56.789' + i * INTERVAL '1 minute', "
      "TIMESTAMPTZ '2024-06-01 00:00:00+05:30' + i * INTERVAL '1 second', "
      "TIME '23:59:59.5', INTERVAL '1 year 2 mons -3 days 04:05:06.5', "
      "json_build_object('k', i, 's', E'x\\ty', 'a', json_build_array(1, 'two', null)), "
      "jsonb_build_object('n', i, 'nested', jsonb_build_object('q', 'a\"b')), "
      "ARRAY[i, NULL, -i], ARRAY['a,b', NULL, 'c\"d', E'e\\\\f'], '10.0.0.1/8'::inet, "
      "CASE WHEN i % 25 = 0 THEN repeat(md5(i::text), 1000) ELSE NULL END "
      "FROM generate_series(1, 300) i");
}

class SnapshotTypesTest : public EngineFixture {};

TEST_F(SnapshotTypesTest, CopiedValuesEqualStreamedValues) {
  auto schema = starrocks_emulator::ParseSchema(Schema());
  ASSERT_TRUE(schema.ok()) << schema.status();
  starrocks_emulator::EmulatorOptions emulator_options;
  emulator_options.schema = *schema;
  auto emulator = starrocks_emulator::StarRocksEmulator::Start(std::move(emulator_options));
  ASSERT_TRUE(emulator.ok()) << emulator.status();

  std::string columns =
      "(id int PRIMARY KEY, b bool, i2 int2, i8 int8, f4 float4, f8 float8, n numeric(12,3), "
      "nu numeric, t text, vc varchar(10), ch char(4), u uuid, d date, ts timestamp, "
      "tz timestamptz, tm time, iv interval, j json, jb jsonb, ai int4[], at text[], "
      "ip inet, big text, gen int GENERATED ALWAYS AS (id * 2) STORED)";
  workload_.Sql(absl::StrCat("CREATE TABLE t_copy ", columns));
  workload_.Sql(absl::StrCat("CREATE TABLE t_stream ", columns));
  workload_.Sql("CREATE TABLE nopk (a int, b text); ALTER TABLE nopk REPLICA IDENTITY FULL");
  workload_.Sql("CREATE TABLE empty_t (id int PRIMARY KEY)");
  workload_.Sql("CREATE TABLE one_t (id int PRIMARY KEY, v text)");
  workload_.Sql(InsertRows("t_copy"));
  workload_.Sql("INSERT INTO nopk SELECT i, 'b' || i FROM generate_series(1, 50) i");
  workload_.Sql("INSERT INTO one_t VALUES (1, 'only')");

  pipeline::PipelineSpec spec = Spec();
  spec.sink.fe_url = (*emulator)->fe_url();
  spec.tables.clear();
  for (const char* t : {"t_copy", "t_stream", "empty_t", "one_t"}) {
    spec.tables.push_back({postgres::TableName{"public", t}, "", {}});
  }
  spec.tables.push_back({postgres::TableName{"public", "nopk"}, "", {"a"}});
  std::string id = Id("types");
  auto created = engine_->Create(id, spec);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(WaitForState(id, PipelineState::kStreaming)) << Describe(id);
  workload_.Sql(InsertRows("t_stream"));
  workload_.Sql("UPDATE nopk SET b = 'changed' WHERE a = 7");

  auto rows = [&](const char* table) {
    auto dump = (*emulator)->DumpTable("shop", table);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? dump->at("rows") : nlohmann::ordered_json::array();
  };
  ASSERT_TRUE(WaitFor([&] { return rows("t_stream").size() == 300; })) << Describe(id);
  nlohmann::ordered_json copied = rows("t_copy");
  nlohmann::ordered_json streamed = rows("t_stream");
  ASSERT_EQ(copied.size(), 300u);
  for (size_t i = 0; i < copied.size(); ++i) {
    ASSERT_EQ(copied[i].dump(), streamed[i].dump()) << "row " << i;
  }
  EXPECT_EQ(copied[24]["big"].get<std::string>().size(), 32000u);  // TOASTed
  EXPECT_FALSE(copied[0].contains("gen"));
  EXPECT_TRUE(rows("empty_t").empty());
  ASSERT_EQ(rows("one_t").size(), 1u);
  EXPECT_EQ(rows("one_t")[0]["v"], "only");
  ASSERT_TRUE(WaitFor([&] {
    auto nopk = rows("nopk");
    return nopk.size() == 50 && nopk[6]["b"] == "changed";
  })) << Describe(id);
}

}  // namespace
}  // namespace dbmazz::runtime
