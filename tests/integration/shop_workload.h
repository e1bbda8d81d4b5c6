// A small e-commerce schema on both sides (PostgreSQL tables and emulator
// tables) with a mixed workload and a row-for-row comparison, shared by the
// end-to-end tests.
#ifndef DBMAZZ_TESTS_INTEGRATION_SHOP_WORKLOAD_H_
#define DBMAZZ_TESTS_INTEGRATION_SHOP_WORKLOAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/pipeline/pipeline_spec.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/starrocks_emulator/emulator.h"

namespace dbmazz::testing {

class ShopWorkload {
 public:
  static constexpr char kUser[] = "dbmazz";
  static constexpr char kPassword[] = "s3cr:et pw";
  static constexpr char kDatabase[] = "shop";

  // Creates `db` with tables orders (TOASTed note) and items, a publication
  // "p" over both, and starts an emulator with the matching tables.
  [[nodiscard]] absl::Status SetUp(PgCluster* cluster, std::string db);

  // Inserts, TOAST-unchanged updates, key changes, multi-table transactions,
  // deletes and a rollback; `round` keeps key ranges apart.
  void Run(int round);

  // Both sides equal, row for row (checked at most every 300 ms).
  bool Converged();
  // Where the sides differ: row counts and the first differing row of each
  // table ("" when equal). For failure messages.
  std::string Difference();
  std::vector<std::string> SourceOrders();
  std::vector<std::string> TargetOrders();

  // A pipeline spec for this database (orders and items) into the emulator.
  pipeline::PipelineSpec Spec() const;

  starrocks_emulator::StarRocksEmulator& emulator() { return *emulator_; }
  const std::string& db() const { return db_; }
  void Sql(std::string_view sql);

 private:
  std::vector<std::string> SourceItems();
  std::vector<std::string> TargetItems();

  PgCluster* cluster_ = nullptr;
  std::string db_;
  std::unique_ptr<starrocks_emulator::StarRocksEmulator> emulator_;
  absl::Time next_check_ = absl::InfinitePast();
};

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_INTEGRATION_SHOP_WORKLOAD_H_
