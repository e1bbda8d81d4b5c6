// Shared fixture for the emulator's tests: an in-process emulator with a
// small schema and a libcurl client pointed at its FE.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_TEST_UTIL_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/starrocks_emulator/emulator.h"
#include "tests/support/starrocks_emulator/stream_load_client.h"

namespace dbmazz::starrocks_emulator {

inline constexpr char kTestSchema[] = R"yaml(
users:
  - {name: root, password: ""}
  - {name: loader, password: "pa:ss:word"}
databases:
  - name: shop
    tables:
      - name: orders
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: name, type: "VARCHAR(8)"}
          - {name: amount, type: "DECIMAL(6,2)"}
          - {name: qty, type: INT, not_null: true, default: 0}
          - {name: day, type: DATE}
          - {name: note, type: STRING}
      - name: typed
        keys: primary
        columns:
          - {name: k, type: INT, not_null: true}
          - {name: b, type: BOOLEAN}
          - {name: t, type: TINYINT}
          - {name: s, type: SMALLINT}
          - {name: big, type: LARGEINT}
          - {name: f, type: FLOAT}
          - {name: d, type: DOUBLE}
          - {name: c, type: "CHAR(4)"}
          - {name: ts, type: DATETIME}
          - {name: j, type: JSON}
          - {name: bin, type: VARBINARY}
          - {name: arr, type: "ARRAY<VARCHAR(3)>"}
      - name: events
        keys: duplicate
        columns:
          - {name: id, type: BIGINT}
          - {name: note, type: STRING}
  - name: empty_db
)yaml";

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = ParseSchema(kTestSchema);
    ASSERT_TRUE(schema.ok()) << schema.status();
    EmulatorOptions options;
    options.schema = *schema;
    options.json_size_limit = json_size_limit_;
    auto emulator = StarRocksEmulator::Start(std::move(options));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    client_ = std::make_unique<StreamLoadClient>(emulator_->fe_url(), "root", "");
  }

  // Headers for a JSON array load with `label` (none if empty).
  static RequestOptions JsonOptions(const std::string& label,
                                    std::vector<std::pair<std::string, std::string>> extra = {}) {
    RequestOptions o;
    o.headers = {{"format", "json"}, {"strip_outer_array", "true"}};
    if (!label.empty()) o.headers.emplace_back("label", label);
    for (auto& h : extra) o.headers.push_back(std::move(h));
    return o;
  }

  // Loads through the FE and returns the parsed Stream Load response.
  nlohmann::json Load(const std::string& table, const std::string& body,
                      const RequestOptions& options, const std::string& db = "shop") {
    HttpResult r = client_->StreamLoad(db, table, body, options);
    EXPECT_EQ(r.curl_code, 0) << r.curl_error;
    EXPECT_EQ(r.status, 200) << r.body;
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  nlohmann::json Rows(const std::string& table, const std::string& db = "shop") {
    auto dump = emulator_->DumpTable(db, table);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? nlohmann::json::parse(dump->at("rows").dump()) : nlohmann::json();
  }

  nlohmann::json GetJson(const std::string& path) {
    HttpResult r = client_->Get(path);
    EXPECT_EQ(r.curl_code, 0) << r.curl_error;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  int64_t json_size_limit_ = kDefaultJsonSizeLimit;
  std::unique_ptr<StarRocksEmulator> emulator_;
  std::unique_ptr<StreamLoadClient> client_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_TEST_UTIL_H_
