// Users, databases and tables of the emulated cluster.
//
// Thread-safety: not thread-safe; guarded by EmulatorState::mu. Tables are
// never removed, so TableData pointers stay valid for the catalog's lifetime.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_CATALOG_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_CATALOG_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/starrocks_emulator/schema.h"
#include "tests/support/starrocks_emulator/table_data.h"

namespace dbmazz::starrocks_emulator {

class Catalog {
 public:
  // Loads users, databases and tables. InvalidArgument on duplicates.
  [[nodiscard]] absl::Status Load(const EmulatorSchema& schema);

  // Adds a table (creating its database if needed). AlreadyExists if present.
  [[nodiscard]] absl::Status AddTable(TableSpec spec);

  [[nodiscard]] bool HasDatabase(const std::string& db) const;
  // nullptr if the table does not exist.
  [[nodiscard]] TableData* FindTable(const std::string& db, const std::string& table) const;
  [[nodiscard]] std::vector<TableData*> Tables() const;

  // True if `user` exists and `password` matches.
  [[nodiscard]] bool Authenticate(const std::string& user, const std::string& password) const;

 private:
  std::map<std::string, std::string> passwords_;
  std::set<std::string> databases_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TableData>> tables_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_CATALOG_H_
