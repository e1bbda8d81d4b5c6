#include "tests/integration/shop_workload.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dbmazz::testing {
namespace {

constexpr char kSchema[] = R"yaml(
users:
  - {name: dbmazz, password: "s3cr:et pw"}
databases:
  - name: shop
    tables:
      - name: orders
        keys: primary
        key_columns: [id]
        columns:
          - {name: id, type: BIGINT, not_null: true}
          - {name: customer, type: "VARCHAR(256)"}
          - {name: amount, type: "DECIMAL(12,2)"}
          - {name: status, type: "VARCHAR(64)"}
          - {name: note, type: "VARCHAR(1048576)"}
      - name: items
        keys: primary
        key_columns: [order_id, line]
        columns:
          - {name: order_id, type: BIGINT, not_null: true}
          - {name: line, type: INT, not_null: true}
          - {name: sku, type: "VARCHAR(64)"}
          - {name: qty, type: INT}
)yaml";

}  // namespace

pipeline::PipelineSpec ShopWorkload::Spec() const {
  pipeline::PipelineSpec spec;
  spec.source.dsn = cluster_->Dsn(db_);
  spec.tables.push_back({postgres::TableName{"public", "orders"}, "", {}});
  spec.tables.push_back({postgres::TableName{"public", "items"}, "", {}});
  spec.sink.fe_url = emulator_->fe_url();
  spec.sink.database = kDatabase;
  spec.sink.user = kUser;
  spec.sink.password = kPassword;
  return spec;
}

void ShopWorkload::Sql(std::string_view sql) {
  absl::Status s = cluster_->Exec(sql, db_);
  ASSERT_TRUE(s.ok()) << s << "\n" << sql;
}

absl::Status ShopWorkload::SetUp(PgCluster* cluster, std::string db) {
  cluster_ = cluster;
  db_ = std::move(db);
  if (auto created = cluster_->CreateDatabase(db_); !created.ok()) return created.status();
  auto schema = starrocks_emulator::ParseSchema(kSchema);
  if (!schema.ok()) return schema.status();
  starrocks_emulator::EmulatorOptions options;
  options.schema = *schema;
  auto emulator = starrocks_emulator::StarRocksEmulator::Start(std::move(options));
  if (!emulator.ok()) return emulator.status();
  emulator_ = std::move(*emulator);
  for (const char* sql :
       {"CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12,2), "
        "status text, note text)",
        "ALTER TABLE orders ALTER COLUMN note SET STORAGE EXTERNAL",
        "CREATE TABLE items (order_id bigint, line int, sku text, qty int, "
        "PRIMARY KEY (order_id, line))",
        "CREATE PUBLICATION p FOR TABLE orders, items"}) {
    if (absl::Status s = cluster_->Exec(sql, db_); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool ShopWorkload::Converged() {
  if (absl::Now() < next_check_) return false;
  next_check_ = absl::Now() + absl::Milliseconds(300);
  return SourceOrders() == TargetOrders() && SourceItems() == TargetItems();
}

namespace {

std::string Compare(const char* table, const std::vector<std::string>& source,
                    const std::vector<std::string>& target) {
  if (source == target) return "";
  std::string out = absl::StrCat(table, ": ", source.size(), " rows in PostgreSQL, ", target.size(),
                                 " in StarRocks");
  for (size_t i = 0; i < std::max(source.size(), target.size()); ++i) {
    const std::string none = "<none>";
    const std::string& s = i < source.size() ? source[i] : none;
    const std::string& t = i < target.size() ? target[i] : none;
    if (s != t) {
      absl::StrAppend(&out, "; first difference at row ", i, ": PostgreSQL ", s.substr(0, 120),
                      " vs StarRocks ", t.substr(0, 120));
      break;
    }
  }
  return out + "\n";
}

}  // namespace

std::string ShopWorkload::Difference() {
  return Compare("orders", SourceOrders(), TargetOrders()) +
         Compare("items", SourceItems(), TargetItems());
}

std::vector<std::string> ShopWorkload::SourceOrders() {
  auto rows = cluster_->Query(
      "SELECT id, coalesce(customer, '<null>'), coalesce(amount::text, '<null>'), "
      "coalesce(status, '<null>'), coalesce(note, '<null>') FROM orders ORDER BY id",
      db_);
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> out;
  for (const auto& r : *rows)
    out.push_back(absl::StrCat(*r[0], "|", *r[1], "|", *r[2], "|", *r[3], "|", *r[4]));
  return out;
}
std::vector<std::string> ShopWorkload::TargetOrders() {
  auto dump = emulator_->DumpTable("shop", "orders");
  EXPECT_TRUE(dump.ok()) << dump.status();
  std::vector<std::string> out;
  auto text = [](const nlohmann::ordered_json& v) -> std::string {
    if (v.is_null()) return "<null>";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  for (const auto& r : dump->at("rows")) {
    out.push_back(absl::StrCat(text(r["id"]), "|", text(r["customer"]), "|", text(r["amount"]), "|",
                               text(r["status"]), "|", text(r["note"])));
  }
  return out;
}
std::vector<std::string> ShopWorkload::SourceItems() {
  auto rows = cluster_->Query(
      "SELECT order_id, line, coalesce(sku, '<null>'), coalesce(qty::text, '<null>') FROM items "
      "ORDER BY 1, 2",
      db_);
  EXPECT_TRUE(rows.ok());
  std::vector<std::string> out;
  for (const auto& r : *rows)
    out.push_back(absl::StrCat(*r[0], "|", *r[1], "|", *r[2], "|", *r[3]));
  return out;
}
std::vector<std::string> ShopWorkload::TargetItems() {
  auto dump = emulator_->DumpTable("shop", "items");
  EXPECT_TRUE(dump.ok());
  std::vector<std::string> out;
  for (const auto& r : dump->at("rows")) {
    out.push_back(absl::StrCat(r["order_id"].dump(), "|", r["line"].dump(), "|",
                               r["sku"].is_null() ? "<null>" : r["sku"].get<std::string>(), "|",
                               r["qty"].is_null() ? "<null>" : r["qty"].dump()));
  }
  return out;
}

void ShopWorkload::Run(int round) {
  int base = round * 1000;
  Sql(absl::StrCat("INSERT INTO orders SELECT ", base, " + i, 'customer ' || i, i * 1.25, 'new', ",
                   "CASE WHEN i % 10 = 0 THEN repeat(md5(i::text), 400) ELSE 'short ' || i END ",
                   "FROM generate_series(1, 120) i"));
  Sql(absl::StrCat("INSERT INTO items SELECT ", base, " + i, l, 'sku-' || l, l FROM ",
                   "generate_series(1, 60) i, generate_series(1, 3) l"));
  // Updates that leave the TOASTed note unchanged → partial updates.
  Sql(absl::StrCat(
      "UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id % 10 = 0 AND id > ", base));
  Sql(absl::StrCat("BEGIN; UPDATE orders SET customer = NULL WHERE id = ", base + 3,
                   "; UPDATE items SET qty = qty * 10 WHERE order_id = ", base + 3, "; COMMIT"));
  // Primary-key changes on rows without TOASTed values.
  Sql(absl::StrCat("UPDATE orders SET id = id + 500 WHERE id BETWEEN ", base + 11, " AND ",
                   base + 15));
  Sql(absl::StrCat("UPDATE items SET line = line + 10 WHERE order_id = ", base + 7));
  Sql(absl::StrCat("DELETE FROM orders WHERE id % 7 = 0 AND id > ", base));
  Sql(absl::StrCat("DELETE FROM items WHERE order_id = ", base + 2));
  Sql(absl::StrCat("BEGIN; INSERT INTO orders VALUES (", base + 999,
                   ", 'ghost', 1, 'x', 'y'); ROLLBACK"));
  Sql(absl::StrCat("BEGIN; DELETE FROM orders WHERE id = ", base + 1,
                   "; INSERT INTO orders VALUES (", base + 1,
                   ", 'reborn', 9.99, 'new', 'n'); COMMIT"));
}

}  // namespace dbmazz::testing
