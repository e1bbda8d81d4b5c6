// The relations (tables) announced by pgoutput Relation messages.
//
// pgoutput sends a Relation message before the first change of a relation in a
// session and again whenever its definition changes (also mid-transaction);
// row messages only carry the relation id. The cache keeps owned copies.
//
// Ownership: Relation objects are owned by the cache; a pointer returned by
// Find() stays valid until the next Apply() or Clear() for that id.
// Thread-safety: not thread-safe; one per replication session.
#ifndef DBMAZZ_ENGINE_PGOUTPUT_RELATION_CACHE_H_
#define DBMAZZ_ENGINE_PGOUTPUT_RELATION_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "engine/pgoutput/messages.h"

namespace dbmazz::pgoutput {

struct Relation {
  struct Column {
    std::string name;
    uint32_t type_oid = 0;
    int32_t type_modifier = -1;
    bool is_key = false;
  };
  uint32_t id = 0;
  std::string schema;  // "public", never empty ("" on the wire means pg_catalog)
  std::string name;
  char replica_identity = 'd';
  std::vector<Column> columns;
  std::vector<int> key_columns;  // indexes into columns of the replica identity key
  uint64_t generation = 0;       // bumped each time this id is (re)defined
};

class RelationCache {
 public:
  // Adds or replaces the relation. InvalidArgument if the message is unusable
  // (e.g. zero columns is allowed, duplicate column names are not).
  [[nodiscard]] absl::Status Apply(const RelationMessage& message);

  // Registers a Type message (custom types such as enums, OID >= 10000).
  void ApplyType(const TypeMessage& message);

  // nullptr when the id was never announced in this session.
  const Relation* Find(uint32_t relation_id) const;

  // Name of a custom type seen in a Type message, or nullptr.
  const std::string* FindTypeName(uint32_t type_oid) const;

  void Clear();
  size_t size() const { return relations_.size(); }

 private:
  absl::flat_hash_map<uint32_t, std::unique_ptr<Relation>> relations_;
  absl::flat_hash_map<uint32_t, std::string> type_names_;
  uint64_t next_generation_ = 1;
};

}  // namespace dbmazz::pgoutput

#endif  // DBMAZZ_ENGINE_PGOUTPUT_RELATION_CACHE_H_
