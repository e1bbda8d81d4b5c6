// Encodes decoded pgoutput rows (TEXT format values) as StarRocks Stream Load
// JSON objects for a primary key table:
//
//   {"id":1,"name":"x","amount":"12.50","__op":0}   upsert
//   {"id":1,"__op":1}                               delete (key columns only)
//
// Each call appends exactly one object to the caller's batch body; the caller
// writes `[`, `,` and `]` (send with `format: json`, `strip_outer_array: true`)
// and the `columns` header from AppendColumnsHeader(). JSON keys are the
// PostgreSQL column names, JSON-escaped — except bytea columns, which travel
// as hex under a temporary key and are decoded by the `columns` header (see
// docs/type-mapping.md). Value encodings: type_mapping.h.
//
// Unchanged TOAST values ('u') are taken from the old row image when pgoutput
// sent one that holds them; otherwise the column is omitted from the object
// and cleared in `columns_written`. Rows must be grouped by that mask and each
// group sent with its own `columns` header (a partial update) — a TOAST
// placeholder is never written as null or "".
//
// Errors (nothing is appended to *out and *stats is unchanged when one is
// returned): InvalidArgument for tuples that do not match the relation or
// values that are not valid text output of their type (the message names the
// column, never the value); FailedPrecondition when a key column's value is
// unknown ('u' with no old key) or the relation has no key; Unimplemented for
// binary-format ('b') values.
//
// Ownership: the encoder caches a plan per relation id, revalidated by
// Relation::generation — use one encoder with Relations from one
// RelationCache. Thread-safety: not thread-safe; one encoder per thread.
// The hot path does not allocate beyond growing *out (after the first row of
// each relation).
#ifndef DBMAZZ_ENGINE_SINK_ROW_ENCODER_H_
#define DBMAZZ_ENGINE_SINK_ROW_ENCODER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/pgoutput/messages.h"
#include "engine/pgoutput/relation_cache.h"
#include "engine/sink/array_encoder.h"
#include "engine/sink/column_mask.h"
#include "engine/sink/encode_stats.h"
#include "engine/sink/type_mapping.h"

namespace dbmazz::sink {

// JSON key prefix of bytea columns (hex text, decoded by the columns header).
inline constexpr std::string_view kHexKeyPrefix = "__dbmazz_hex__";
// The Stream Load operation field: 0 = upsert, 1 = delete.
inline constexpr std::string_view kOpColumn = "__op";

class RowEncoder {
 public:
  explicit RowEncoder(TypeMappingOptions options = {}) : options_(options) {}

  // Appends an upsert of `new_tuple`. old_kind/old_tuple come from the UPDATE
  // message: 'O' (REPLICA IDENTITY FULL: a full old row, used for every 'u'
  // column), 'K' (key columns only, used for 'u' key columns) or 0 (none;
  // old_tuple is then ignored and may be null). `columns_written` is reset to
  // the relation's width and gets a bit per column present in the object.
  [[nodiscard]] absl::Status AppendUpsert(const pgoutput::Relation& rel,
                                          const pgoutput::TupleData& new_tuple,
                                          const pgoutput::TupleData* old_tuple, char old_kind,
                                          std::string* out, ColumnMask* columns_written,
                                          EncodeStats* stats);

  // Appends a delete carrying the key columns (rel.key_columns) of
  // `key_or_old_tuple` (a 'K' or 'O' image). `columns_written` (optional)
  // receives those columns.
  [[nodiscard]] absl::Status AppendDelete(const pgoutput::Relation& rel,
                                          const pgoutput::TupleData& key_or_old_tuple,
                                          std::string* out, EncodeStats* stats,
                                          ColumnMask* columns_written = nullptr);

  // Appends the Stream Load `columns` header value for rows whose columns are
  // `columns` (a mask from AppendUpsert/AppendDelete, or all columns):
  //   `id`,`name`,`__dbmazz_hex__pic`,`pic`=hex_decode_binary(`__dbmazz_hex__pic`),__op
  // Identifiers are backtick-quoted with embedded backticks doubled.
  // InvalidArgument if the mask's width does not match the relation.
  [[nodiscard]] absl::Status AppendColumnsHeader(const pgoutput::Relation& rel,
                                                 const ColumnMask& columns, std::string* out);

  // Forgets cached relation plans (e.g. after RelationCache::Clear()).
  void ClearCache();

 private:
  struct ColumnPlan {
    std::string json_key;  // "\"name\":" (escaped, with quotes and colon)
    TypeMapping mapping;
    bool is_key = false;
  };
  struct RelationPlan {
    uint32_t id = 0;
    uint64_t generation = 0;
    std::vector<ColumnPlan> columns;
  };

  absl::StatusOr<const RelationPlan*> PlanFor(const pgoutput::Relation& rel);
  absl::Status AppendValue(const ColumnPlan& column, const pgoutput::ColumnValue& value,
                           std::string* out, EncodeStats* stats);

  TypeMappingOptions options_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<RelationPlan>> plans_;
  const RelationPlan* last_plan_ = nullptr;
  ArrayEncoder array_encoder_;
};

// Whether an UPDATE changed the row's key, so the caller must emit a delete of
// the old key before the upsert of the new row. Only an old image ('K' or 'O')
// can signal it; a key column that is 'u' in the new tuple is unchanged.
// `key_columns` defaults to rel.key_columns; pass the real primary key's
// column indexes for REPLICA IDENTITY FULL relations, where pgoutput flags
// every column as a key column. InvalidArgument if the tuples do not match
// the relation.
[[nodiscard]] absl::StatusOr<bool> KeyChanged(const pgoutput::Relation& rel,
                                              const pgoutput::UpdateMessage& update);
[[nodiscard]] absl::StatusOr<bool> KeyChanged(std::span<const int> key_columns, size_t width,
                                              const pgoutput::UpdateMessage& update);

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_ROW_ENCODER_H_
