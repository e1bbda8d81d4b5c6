#include "engine/pgoutput/relation_cache.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::pgoutput {
namespace {

constexpr std::string_view kCatalogSchema = "pg_catalog";

bool IsKnownReplicaIdentity(char identity) {
  return identity == 'd' || identity == 'n' || identity == 'f' || identity == 'i';
}

}  // namespace

absl::Status RelationCache::Apply(const RelationMessage& message) {
  if (message.relation_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("pgoutput Relation ", message.relation_id, ": empty relation name"));
  }
  if (!IsKnownReplicaIdentity(message.replica_identity)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pgoutput Relation ", message.relation_id, " (", AsAbsl(message.relation_name),
                     "): unknown replica identity 0x",
                     absl::Hex(static_cast<unsigned char>(message.replica_identity))));
  }

  auto relation = std::make_unique<Relation>();
  relation->id = message.relation_id;
  relation->schema =
      std::string(message.namespace_name.empty() ? kCatalogSchema : message.namespace_name);
  relation->name = std::string(message.relation_name);
  relation->replica_identity = message.replica_identity;
  relation->columns.reserve(message.columns.size());

  absl::flat_hash_set<std::string_view> seen;
  seen.reserve(message.columns.size());
  for (const RelationColumn& column : message.columns) {
    if (column.name.empty() || !seen.insert(column.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("pgoutput Relation ", message.relation_id, " (", relation->schema, ".",
                       relation->name, "): ", column.name.empty() ? "empty" : "duplicate",
                       " column name \"", AsAbsl(column.name), "\""));
    }
    if (column.is_key())
      relation->key_columns.push_back(static_cast<int>(relation->columns.size()));
    relation->columns.push_back(Relation::Column{
        .name = std::string(column.name),
        .type_oid = column.type_oid,
        .type_modifier = column.type_modifier,
        .is_key = column.is_key(),
    });
  }

  relation->generation = next_generation_++;
  relations_[message.relation_id] = std::move(relation);
  return absl::OkStatus();
}

void RelationCache::ApplyType(const TypeMessage& message) {
  type_names_[message.type_oid] = std::string(message.type_name);
}

const Relation* RelationCache::Find(uint32_t relation_id) const {
  auto it = relations_.find(relation_id);
  return it == relations_.end() ? nullptr : it->second.get();
}

const std::string* RelationCache::FindTypeName(uint32_t type_oid) const {
  auto it = type_names_.find(type_oid);
  return it == type_names_.end() ? nullptr : &it->second;
}

void RelationCache::Clear() {
  relations_.clear();
  type_names_.clear();
}

}  // namespace dbmazz::pgoutput
