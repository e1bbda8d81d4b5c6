#include "tests/support/starrocks_emulator/schema.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "tests/support/starrocks_emulator/value_converter.h"

namespace dbmazz::starrocks_emulator {
namespace {

absl::Status Bad(const std::string& where, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("schema: ", where, ": ", why));
}

absl::StatusOr<std::string> RequiredString(const YAML::Node& node, const char* field,
                                           const std::string& where) {
  YAML::Node value = node[field];
  if (!value || !value.IsScalar() || value.as<std::string>().empty()) {
    return Bad(where, absl::StrCat("missing '", field, "'"));
  }
  return value.as<std::string>();
}

absl::StatusOr<ColumnSpec> ParseColumn(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) return Bad(where, "a column must be a map");
  ColumnSpec column;
  auto name = RequiredString(node, "name", where);
  if (!name.ok()) return name.status();
  column.name = *name;
  auto type_text = RequiredString(node, "type", where + "." + column.name);
  if (!type_text.ok()) return type_text.status();
  auto type = ParseColumnType(*type_text);
  if (!type.ok()) return Bad(where + "." + column.name, type.status().message());
  column.type = *type;
  if (YAML::Node nn = node["not_null"]) column.not_null = nn.as<bool>();
  if (YAML::Node nullable = node["nullable"]) column.not_null = !nullable.as<bool>();
  if (YAML::Node def = node["default"]; def && !def.IsNull()) {
    std::string text;
    if (def.IsScalar()) {
      text = def.as<std::string>();
    } else {
      YAML::Emitter emitter;
      emitter << YAML::Flow << YAML::DoubleQuoted << def;
      text = emitter.c_str();
    }
    std::string canonical;
    if (auto st = ConvertDefault(column.type, column.name, text, &canonical); !st.ok()) {
      return Bad(where + "." + column.name, absl::StrCat("bad default: ", st.message()));
    }
    column.default_value = canonical;
  }
  return column;
}

absl::StatusOr<TableSpec> ParseTable(const YAML::Node& node, const std::string& database,
                                     const std::string& where_prefix) {
  if (!node.IsMap()) return Bad(where_prefix, "a table must be a map");
  TableSpec table;
  table.database = database;
  auto name = RequiredString(node, "name", where_prefix);
  if (!name.ok()) return name.status();
  table.name = *name;
  std::string where = absl::StrCat(where_prefix, ".", table.name);

  std::string keys = "primary";
  if (YAML::Node k = node["keys"]) keys = absl::AsciiStrToLower(k.as<std::string>());
  if (keys == "primary" || keys == "primary key" || keys == "primary_key") {
    table.model = KeyModel::kPrimary;
  } else if (keys == "duplicate" || keys == "duplicate key" || keys == "duplicate_key") {
    table.model = KeyModel::kDuplicate;
  } else {
    return Bad(where, "keys must be 'primary' or 'duplicate'");
  }

  YAML::Node columns = node["columns"];
  if (!columns || !columns.IsSequence() || columns.size() == 0) {
    return Bad(where, "'columns' must be a non-empty list");
  }
  std::set<std::string> seen;
  for (const YAML::Node& c : columns) {
    auto column = ParseColumn(c, where);
    if (!column.ok()) return column.status();
    std::string lower = absl::AsciiStrToLower(column->name);
    if (!seen.insert(lower).second) return Bad(where, "duplicate column " + column->name);
    if (lower == "__op") return Bad(where, "__op is reserved");
    table.columns.push_back(*std::move(column));
  }

  table.key_count = 1;
  if (YAML::Node key_columns = node["key_columns"]) {
    if (!key_columns.IsSequence() || key_columns.size() == 0) {
      return Bad(where, "'key_columns' must be a non-empty list");
    }
    if (key_columns.size() > table.columns.size()) return Bad(where, "too many key columns");
    for (size_t i = 0; i < key_columns.size(); ++i) {
      if (!absl::EqualsIgnoreCase(key_columns[i].as<std::string>(), table.columns[i].name)) {
        return Bad(where, "key columns must be the leading columns, in order");
      }
    }
    table.key_count = static_cast<int>(key_columns.size());
  }
  for (int i = 0; i < table.key_count; ++i) {
    ColumnSpec& key = table.columns[i];
    if (key.type.kind == TypeKind::kJson || key.type.kind == TypeKind::kArray ||
        key.type.kind == TypeKind::kFloat || key.type.kind == TypeKind::kDouble) {
      return Bad(where, absl::StrCat("type ", key.type.ToString(), " cannot be a key column"));
    }
    if (table.model == KeyModel::kPrimary) key.not_null = true;
  }
  return table;
}

absl::StatusOr<EmulatorSchema> ParseSchemaNode(const YAML::Node& root) {
  EmulatorSchema schema;
  if (!root.IsMap()) return Bad("<root>", "expected a map with users and databases");
  if (YAML::Node users = root["users"]) {
    if (!users.IsSequence()) return Bad("users", "must be a list");
    for (const YAML::Node& u : users) {
      auto name = RequiredString(u, "name", "users");
      if (!name.ok()) return name.status();
      UserSpec user{*name, ""};
      if (YAML::Node p = u["password"]; p && !p.IsNull()) user.password = p.as<std::string>();
      schema.users.push_back(user);
    }
  } else {
    schema.users.push_back(UserSpec{"root", ""});
  }
  std::set<std::string> db_names;
  if (YAML::Node databases = root["databases"]) {
    if (!databases.IsSequence()) return Bad("databases", "must be a list");
    for (const YAML::Node& d : databases) {
      auto name = RequiredString(d, "name", "databases");
      if (!name.ok()) return name.status();
      if (!db_names.insert(*name).second) return Bad("databases", "duplicate database " + *name);
      schema.databases.push_back(*name);
      std::set<std::string> table_names;
      if (YAML::Node tables = d["tables"]) {
        if (!tables.IsSequence()) return Bad(*name, "'tables' must be a list");
        for (const YAML::Node& t : tables) {
          auto table = ParseTable(t, *name, *name);
          if (!table.ok()) return table.status();
          if (!table_names.insert(table->name).second) {
            return Bad(*name, "duplicate table " + table->name);
          }
          schema.tables.push_back(*std::move(table));
        }
      }
    }
  }
  return schema;
}

}  // namespace

int TableSpec::FindColumn(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (absl::EqualsIgnoreCase(AsAbsl(column), columns[i].name)) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<EmulatorSchema> ParseSchema(std::string_view text) {
  try {
    return ParseSchemaNode(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("schema: ", e.what()));
  }
}

absl::StatusOr<EmulatorSchema> LoadSchemaFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read schema file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseSchema(buffer.str());
}

absl::StatusOr<TableSpec> ParseTableSpec(std::string_view text) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return Bad("table", "expected a map");
    auto database = RequiredString(root, "database", "table");
    if (!database.ok()) return database.status();
    return ParseTable(root, *database, *database);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("table: ", e.what()));
  }
}

}  // namespace dbmazz::starrocks_emulator
