// clang-format off
// Run: cmake --preset fuzz && cmake --build --preset fuzz --target pgoutput_decoder_fuzz && build/fuzz/tests/fuzz/pgoutput_decoder_fuzz build/fuzz/tests/fuzz/corpus/pgoutput_decoder -runs=200000
// clang-format on
//
// libFuzzer target for the pgoutput Decoder and RelationCache. Input format:
// tests/fuzz/pgoutput_fuzz_input.h (options byte, then length-prefixed
// payloads decoded in order by one Decoder, so stream state is exercised).
// Decoded Relation/Type messages go through a RelationCache; every view the
// decoder returns is read in full, so ASan catches any view past the payload.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/pgoutput/decoder.h"
#include "engine/pgoutput/relation_cache.h"
#include "tests/fuzz/pgoutput_fuzz_input.h"

namespace {

using dbmazz::pgoutput::ColumnValue;
using dbmazz::pgoutput::DecodedMessage;
using dbmazz::pgoutput::Decoder;
using dbmazz::pgoutput::MessageType;
using dbmazz::pgoutput::RelationCache;
using dbmazz::pgoutput::TupleData;

// Reads every byte of a view (volatile sink: the compiler cannot drop it).
void Touch(std::string_view view) {
  volatile unsigned char sink = 0;
  for (char c : view) sink = sink ^ static_cast<unsigned char>(c);
  (void)sink;
}

void TouchTuple(const TupleData& tuple, const RelationCache& cache, uint32_t relation_id) {
  for (const ColumnValue& column : tuple.columns) Touch(column.data);
  if (const auto* relation = cache.Find(relation_id)) {
    for (const auto& column : relation->columns) Touch(column.name);
  }
}

void Inspect(const DecodedMessage& m, RelationCache& cache) {
  switch (m.type) {
    case MessageType::kRelation: {
      Touch(m.relation.namespace_name);
      Touch(m.relation.relation_name);
      for (const auto& column : m.relation.columns) Touch(column.name);
      if (cache.Apply(m.relation).ok()) {
        const auto* relation = cache.Find(m.relation.relation_id);
        if (relation == nullptr || relation->columns.size() != m.relation.columns.size()) {
          __builtin_trap();  // Apply() succeeded but the relation is not there
        }
        for (int key : relation->key_columns) {
          if (key < 0 || static_cast<size_t>(key) >= relation->columns.size()) __builtin_trap();
        }
      }
      break;
    }
    case MessageType::kType:
      Touch(m.type_info.namespace_name);
      cache.ApplyType(m.type_info);
      if (cache.FindTypeName(m.type_info.type_oid) == nullptr) __builtin_trap();
      break;
    case MessageType::kInsert:
      TouchTuple(m.insert.new_tuple, cache, m.insert.relation_id);
      break;
    case MessageType::kUpdate:
      TouchTuple(m.update.old_tuple, cache, m.update.relation_id);
      TouchTuple(m.update.new_tuple, cache, m.update.relation_id);
      break;
    case MessageType::kDelete:
      TouchTuple(m.del.old_tuple, cache, m.del.relation_id);
      break;
    case MessageType::kOrigin:
      Touch(m.origin.name);
      break;
    case MessageType::kMessage:
      Touch(m.message.prefix);
      Touch(m.message.content);
      break;
    case MessageType::kBeginPrepare:
      Touch(m.begin_prepare.gid);
      break;
    case MessageType::kPrepare:
    case MessageType::kStreamPrepare:
      Touch(m.prepare.gid);
      break;
    case MessageType::kCommitPrepared:
      Touch(m.commit_prepared.gid);
      break;
    case MessageType::kRollbackPrepared:
      Touch(m.rollback_prepared.gid);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Decoder decoder(dbmazz::pgoutput::fuzzing::OptionsFromByte(static_cast<uint8_t>(input[0])));
  RelationCache cache;
  DecodedMessage out;
  for (std::string_view payload : dbmazz::pgoutput::fuzzing::SplitPayloads(input.substr(1))) {
    const bool stream_before = decoder.in_stream();
    if (decoder.Decode(payload, &out).ok()) {
      Inspect(out, cache);
    } else if (decoder.in_stream() != stream_before) {
      __builtin_trap();  // a failed decode must not change protocol state
    }
  }
  return 0;
}
