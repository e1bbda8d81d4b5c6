#include "engine/sink/starrocks_sink.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dbmazz::sink {

using pgoutput::ColumnKind;
using pgoutput::MessageType;

namespace {

std::string SourceName(const pgoutput::Relation& rel) {
  return absl::StrCat(rel.schema, ".", rel.name);
}

}  // namespace

StarRocksSink::StarRocksSink(SinkOptions options, BatchLoader* loader, Lsn resume_after)
    : options_(std::move(options)),
      loader_(loader),
      own_pool_(options_.body_pool != nullptr
                    ? nullptr
                    : std::make_unique<BodyBufferPool>(1, 2 * options_.limits.max_bytes)),
      pool_(options_.body_pool != nullptr ? options_.body_pool : own_pool_.get()),
      encoder_(options_.type_options),
      durable_lsn_(resume_after) {}

StarRocksSink::~StarRocksSink() = default;

absl::StatusOr<StarRocksSink::TableState*> StarRocksSink::StateFor(const pgoutput::Relation& rel) {
  auto& slot = tables_[rel.id];
  if (slot != nullptr && slot->generation == rel.generation) return slot.get();
  std::string source = SourceName(rel);
  if (slot == nullptr) {
    slot = std::make_unique<TableState>();
    auto mapped = options_.table_map.find(source);
    slot->batcher = std::make_unique<TableBatcher>(
        mapped == options_.table_map.end() ? rel.name : mapped->second, source, options_.limits,
        pool_);
  } else {
    // The relation changed (ALTER TABLE): rows encoded with the old shape go
    // in their own batch.
    slot->batcher->SealIfDue(absl::Now(), /*force=*/true);
  }
  TableState& t = *slot;
  t.generation = rel.generation;
  t.key_indexes.clear();
  auto keys = options_.key_columns.find(source);
  if (keys != options_.key_columns.end()) {
    for (const std::string& name : keys->second) {
      auto it = std::find_if(rel.columns.begin(), rel.columns.end(),
                             [&](const auto& c) { return c.name == name; });
      if (it == rel.columns.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key column \"", name, "\" configured for ", source, " is not a column of the table"));
      }
      t.key_indexes.push_back(static_cast<int>(it - rel.columns.begin()));
    }
  } else {
    t.key_indexes = rel.key_columns;
  }
  if (t.key_indexes.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("table ", source,
                     " has no replica identity key: give it a primary key, or set REPLICA "
                     "IDENTITY FULL and configure its StarRocks key columns"));
  }
  ColumnMask all;
  all.SetAll(rel.columns.size());
  t.full_columns_header.clear();
  if (absl::Status s = encoder_.AppendColumnsHeader(rel, all, &t.full_columns_header); !s.ok()) {
    return s;
  }
  t.last_partial_mask.Reset(0);
  t.last_partial_header.clear();
  return &t;
}

absl::Status StarRocksSink::AddUpsert(const pgoutput::Relation& rel, TableState& table,
                                      const pgoutput::TupleData& tuple,
                                      const pgoutput::TupleData* old_tuple, char old_kind) {
  scratch_.clear();
  if (absl::Status s =
          encoder_.AppendUpsert(rel, tuple, old_tuple, old_kind, &scratch_, &mask_, &stats_.encode);
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(SourceName(rel), ": ", s.message()));
  }
  const ColumnMask* partial = nullptr;
  const std::string* header = &table.full_columns_header;
  if (!mask_.All()) {
    if (table.last_partial_mask != mask_) {
      table.last_partial_header.clear();
      if (absl::Status s = encoder_.AppendColumnsHeader(rel, mask_, &table.last_partial_header);
          !s.ok()) {
        return s;
      }
      table.last_partial_mask = mask_;
    }
    partial = &mask_;
    header = &table.last_partial_header;
  }
  table.batcher->AddRow(scratch_, partial, *header, NextPosition());
  return absl::OkStatus();
}

absl::Status StarRocksSink::AddDelete(const pgoutput::Relation& rel, TableState& table,
                                      const pgoutput::TupleData& key_tuple) {
  scratch_.clear();
  if (absl::Status s = encoder_.AppendDelete(rel, key_tuple, &scratch_, &stats_.encode); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(SourceName(rel), ": ", s.message()));
  }
  table.batcher->AddRow(scratch_, nullptr, table.full_columns_header, NextPosition());
  return absl::OkStatus();
}

absl::Status StarRocksSink::OnUpdate(const pgoutput::UpdateMessage& update) {
  const pgoutput::Relation* rel = relations_.Find(update.relation_id);
  if (rel == nullptr) {
    return absl::DataLossError(absl::StrCat("UPDATE for unknown relation ", update.relation_id));
  }
  auto table = StateFor(*rel);
  if (!table.ok()) return table.status();
  bool key_changed = false;
  if (update.old_kind != 0) {
    auto changed = KeyChanged((*table)->key_indexes, rel->columns.size(), update);
    if (!changed.ok()) return changed.status();
    key_changed = *changed;
  }
  ++stats_.rows_updated;
  if (!key_changed) {
    return AddUpsert(*rel, **table, update.new_tuple,
                     update.old_kind != 0 ? &update.old_tuple : nullptr, update.old_kind);
  }
  if (update.old_kind != 'O') {
    for (size_t i = 0; i < update.new_tuple.columns.size(); ++i) {
      if (update.new_tuple.columns[i].kind == ColumnKind::kUnchangedToast) {
        return absl::FailedPreconditionError(absl::StrCat(
            "UPDATE of ", SourceName(*rel), " changed the primary key while column \"",
            i < rel->columns.size() ? rel->columns[i].name : "?",
            "\" kept an unchanged TOASTed value that PostgreSQL did not send; the new row "
            "cannot be written without it. Run ALTER TABLE ",
            SourceName(*rel), " REPLICA IDENTITY FULL and resynchronise the table"));
      }
    }
  }
  if (absl::Status s = AddDelete(*rel, **table, update.old_tuple); !s.ok()) return s;
  return AddUpsert(*rel, **table, update.new_tuple, &update.old_tuple, update.old_kind);
}

absl::Status StarRocksSink::OnMessage(const pgoutput::DecodedMessage& m) {
  switch (m.type) {
    case MessageType::kRelation:
      return relations_.Apply(m.relation);
    case MessageType::kType:
      relations_.ApplyType(m.type_info);
      return absl::OkStatus();
    case MessageType::kBegin:
      current_commit_lsn_ = m.begin.final_lsn;
      last_commit_time_ = m.begin.commit_time;
      row_index_ = 0;
      in_transaction_ = true;
      return absl::OkStatus();
    case MessageType::kCommit:
      if (!in_transaction_) return absl::DataLossError("COMMIT without BEGIN");
      in_transaction_ = false;
      ++stats_.transactions;
      committed_.push_back(Committed{m.commit.commit_lsn, m.commit.end_lsn, m.commit.commit_time});
      AdvanceDurable();
      return absl::OkStatus();
    case MessageType::kInsert: {
      const pgoutput::Relation* rel = relations_.Find(m.insert.relation_id);
      if (rel == nullptr) {
        return absl::DataLossError(
            absl::StrCat("INSERT for unknown relation ", m.insert.relation_id));
      }
      auto table = StateFor(*rel);
      if (!table.ok()) return table.status();
      ++stats_.rows_inserted;
      return AddUpsert(*rel, **table, m.insert.new_tuple, nullptr, 0);
    }
    case MessageType::kUpdate:
      return OnUpdate(m.update);
    case MessageType::kDelete: {
      const pgoutput::Relation* rel = relations_.Find(m.del.relation_id);
      if (rel == nullptr) {
        return absl::DataLossError(absl::StrCat("DELETE for unknown relation ", m.del.relation_id));
      }
      auto table = StateFor(*rel);
      if (!table.ok()) return table.status();
      ++stats_.rows_deleted;
      return AddDelete(*rel, **table, m.del.old_tuple);
    }
    case MessageType::kTruncate: {
      if (options_.ignore_truncate) {
        ++stats_.truncates_ignored;
        return absl::OkStatus();
      }
      std::string names;
      for (uint32_t id : m.truncate.relation_ids) {
        const pgoutput::Relation* rel = relations_.Find(id);
        absl::StrAppend(&names, names.empty() ? "" : ", ",
                        rel ? SourceName(*rel) : absl::StrCat("relation ", id));
      }
      return absl::FailedPreconditionError(
          absl::StrCat("TRUNCATE of ", names,
                       " cannot be replicated through Stream Load; truncate the "
                       "StarRocks table(s) yourself and resume, or set ignore_truncate"));
    }
    case MessageType::kMessage:
    case MessageType::kOrigin:
      return absl::OkStatus();
    default:
      // Streaming and two-phase messages are never requested by dbmazz.
      return absl::DataLossError(absl::StrCat("unexpected pgoutput message '",
                                              std::string(1, static_cast<char>(m.type)),
                                              "' (streaming and two-phase are not enabled)"));
  }
}

std::optional<pgoutput::PgTimestamp> StarRocksSink::oldest_pending_commit_time() const {
  if (!committed_.empty()) return committed_.front().commit_time;
  if (in_transaction_) return last_commit_time_;
  return std::nullopt;
}

void StarRocksSink::AdvanceDurable() {
  std::optional<RowPosition> oldest;
  for (const auto& [id, table] : tables_) {
    auto pending = table->batcher->OldestPending();
    if (pending.has_value() && (!oldest.has_value() || *pending < *oldest)) oldest = pending;
  }
  while (!committed_.empty() &&
         (!oldest.has_value() || committed_.front().commit_lsn < oldest->commit_lsn)) {
    durable_lsn_ = std::max(durable_lsn_, committed_.front().end_lsn);
    stats_.durable_commit_time = committed_.front().commit_time;
    committed_.pop_front();
  }
}

absl::Status StarRocksSink::Flush(absl::Time now, bool force, const std::function<bool()>& tick) {
  if (loader_ == nullptr)
    return absl::FailedPreconditionError("the sink has no synchronous loader");
  // A table whose load fails keeps its batches; the others still load, so
  // the durable position advances as far as it can. The first error is returned.
  absl::Status first_error;
  for (auto& [id, table] : tables_) {
    TableBatcher& batcher = *table->batcher;
    batcher.SealIfDue(now, force);
    if (table->load_in_flight) continue;
    while (const Batch* batch = batcher.Front()) {
      if (absl::Status s = loader_->Load(*batch, tick); !s.ok()) {
        if (first_error.ok()) first_error = s;
        break;
      }
      OnBatchLoaded(*table);
    }
    if (first_error.code() == absl::StatusCode::kCancelled) break;
  }
  AdvanceDurable();
  return first_error;
}

void StarRocksSink::OnBatchLoaded(TableState& table) {
  const Batch& batch = *table.batcher->Front();
  ++stats_.batches_loaded;
  stats_.rows_loaded += batch.rows;
  stats_.bytes_loaded += batch.body.size();
  stats_.batch_rows.Observe(static_cast<double>(batch.rows));
  table.batcher->PopFront();
  // The sink's own spare body is not kept while it has nothing to send.
  if (own_pool_ != nullptr && buffered_bytes() == 0) own_pool_->Clear();
  AdvanceDurable();
}

std::vector<StarRocksSink::LoadTicket> StarRocksSink::StartLoads(absl::Time now, bool force) {
  std::vector<LoadTicket> tickets;
  for (auto& [id, table] : tables_) {
    table->batcher->SealIfDue(now, force);
    if (table->load_in_flight) continue;
    if (const Batch* batch = table->batcher->Front()) {
      table->load_in_flight = true;
      ++loads_in_flight_;
      tickets.push_back(LoadTicket{id, batch});
    }
  }
  return tickets;
}

absl::Status StarRocksSink::CompleteLoad(uint32_t table_key, const absl::Status& result) {
  auto it = tables_.find(table_key);
  if (it == tables_.end() || !it->second->load_in_flight) {
    return absl::NotFoundError(absl::StrCat("no load in flight for table key ", table_key));
  }
  TableState& table = *it->second;
  table.load_in_flight = false;
  --loads_in_flight_;
  if (!result.ok()) return result;
  OnBatchLoaded(table);
  return absl::OkStatus();
}

void StarRocksSink::AbandonLoads() {
  for (auto& [id, table] : tables_) table->load_in_flight = false;
  loads_in_flight_ = 0;
}

bool StarRocksSink::Idle() const {
  if (loads_in_flight_ > 0) return false;
  for (const auto& [id, table] : tables_) {
    if (!table->batcher->empty()) return false;
  }
  return true;
}

absl::Time StarRocksSink::NextFlushTime() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, table] : tables_) {
    // A table waiting for its load is looked at again when the load ends.
    if (!table->load_in_flight) next = std::min(next, table->batcher->NextDue());
  }
  return next;
}

uint64_t StarRocksSink::buffered_bytes() const {
  uint64_t total = 0;
  for (const auto& [id, table] : tables_) total += table->batcher->buffered_bytes();
  return total;
}

bool StarRocksSink::ShouldPause() const { return buffered_bytes() >= options_.max_buffered_bytes; }

}  // namespace dbmazz::sink
