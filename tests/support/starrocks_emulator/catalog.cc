#include "tests/support/starrocks_emulator/catalog.h"

#include "absl/strings/str_cat.h"

namespace dbmazz::starrocks_emulator {

absl::Status Catalog::Load(const EmulatorSchema& schema) {
  for (const UserSpec& user : schema.users) {
    if (!passwords_.emplace(user.name, user.password).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate user ", user.name));
    }
  }
  for (const std::string& db : schema.databases) databases_.insert(db);
  for (const TableSpec& table : schema.tables) {
    if (auto st = AddTable(table); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Catalog::AddTable(TableSpec spec) {
  auto key = std::make_pair(spec.database, spec.name);
  if (tables_.count(key) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("table ", spec.database, ".", spec.name, " already exists"));
  }
  databases_.insert(spec.database);
  tables_.emplace(std::move(key), std::make_unique<TableData>(std::move(spec)));
  return absl::OkStatus();
}

bool Catalog::HasDatabase(const std::string& db) const { return databases_.count(db) > 0; }

TableData* Catalog::FindTable(const std::string& db, const std::string& table) const {
  auto it = tables_.find({db, table});
  return it == tables_.end() ? nullptr : it->second.get();
}

std::vector<TableData*> Catalog::Tables() const {
  std::vector<TableData*> out;
  for (const auto& [key, table] : tables_) out.push_back(table.get());
  return out;
}

bool Catalog::Authenticate(const std::string& user, const std::string& password) const {
  auto it = passwords_.find(user);
  return it != passwords_.end() && it->second == password;
}

}  // namespace dbmazz::starrocks_emulator
