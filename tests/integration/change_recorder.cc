#include "tests/integration/change_recorder.h"

#include "absl/strings/str_cat.h"

namespace dbmazz::testing {

using pgoutput::ColumnKind;
using pgoutput::MessageType;

std::string ChangeRecorder::FormatTuple(const pgoutput::Relation& rel, const pgoutput::TupleData& t,
                                        bool key_only) const {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    std::string name = i < rel.columns.size() ? rel.columns[i].name : absl::StrCat("col", i);
    if (key_only && i < rel.columns.size() && !rel.columns[i].is_key) continue;
    if (!out.empty()) out.push_back(' ');
    switch (c.kind) {
      case ColumnKind::kNull:
        absl::StrAppend(&out, name, "=NULL");
        break;
      case ColumnKind::kUnchangedToast:
        absl::StrAppend(&out, name, "=<unchanged>");
        break;
      case ColumnKind::kText:
        absl::StrAppend(&out, name, "=", absl::string_view(c.data.data(), c.data.size()));
        break;
      case ColumnKind::kBinary:
        absl::StrAppend(&out, name, "=<", c.data.size(), " bytes>");
        break;
    }
  }
  return out;
}

absl::Status ChangeRecorder::OnMessage(const pgoutput::DecodedMessage& m, Lsn) {
  auto table = [&](uint32_t id) -> const pgoutput::Relation* { return relations_.Find(id); };
  auto name = [](const pgoutput::Relation& r) { return absl::StrCat(r.schema, ".", r.name); };
  switch (m.type) {
    case MessageType::kRelation:
      ++relation_messages_;
      return relations_.Apply(m.relation);
    case MessageType::kType:
      relations_.ApplyType(m.type_info);
      return absl::OkStatus();
    case MessageType::kBegin:
      if (open_) return absl::InternalError("Begin inside an open transaction");
      current_ = RecordedTxn{};
      current_.xid = m.begin.xid;
      open_ = true;
      return absl::OkStatus();
    case MessageType::kCommit:
      if (!open_) return absl::InternalError("Commit without Begin");
      current_.commit_lsn = m.commit.commit_lsn;
      current_.end_lsn = m.commit.end_lsn;
      txns_.push_back(std::move(current_));
      open_ = false;
      return absl::OkStatus();
    case MessageType::kInsert: {
      const auto* r = table(m.insert.relation_id);
      if (r == nullptr) return absl::InternalError("Insert for unknown relation");
      current_.rows.push_back(
          absl::StrCat("I ", name(*r), " ", FormatTuple(*r, m.insert.new_tuple, false)));
      return absl::OkStatus();
    }
    case MessageType::kUpdate: {
      const auto* r = table(m.update.relation_id);
      if (r == nullptr) return absl::InternalError("Update for unknown relation");
      std::string line = absl::StrCat("U ", name(*r), " ");
      if (m.update.old_kind != 0) {
        absl::StrAppend(&line, std::string(1, m.update.old_kind), "[",
                        FormatTuple(*r, m.update.old_tuple, m.update.old_kind == 'K'), "] ");
      }
      absl::StrAppend(&line, FormatTuple(*r, m.update.new_tuple, false));
      current_.rows.push_back(line);
      return absl::OkStatus();
    }
    case MessageType::kDelete: {
      const auto* r = table(m.del.relation_id);
      if (r == nullptr) return absl::InternalError("Delete for unknown relation");
      current_.rows.push_back(absl::StrCat("D ", name(*r), " ", std::string(1, m.del.old_kind), "[",
                                           FormatTuple(*r, m.del.old_tuple, m.del.old_kind == 'K'),
                                           "]"));
      return absl::OkStatus();
    }
    case MessageType::kTruncate: {
      std::string line = "T";
      for (uint32_t id : m.truncate.relation_ids) {
        const auto* r = table(id);
        absl::StrAppend(&line, " ", r ? name(*r) : absl::StrCat("oid", id));
      }
      current_.rows.push_back(line);
      return absl::OkStatus();
    }
    case MessageType::kMessage:
      messages_.push_back(
          absl::StrCat(absl::string_view(m.message.prefix.data(), m.message.prefix.size()), ":",
                       absl::string_view(m.message.content.data(), m.message.content.size())));
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

std::vector<std::string> ChangeRecorder::AllRows() const {
  std::vector<std::string> out;
  for (const auto& t : txns_) out.insert(out.end(), t.rows.begin(), t.rows.end());
  return out;
}

absl::Status PumpUntil(replication::ReplicationStream& stream, ChangeRecorder& recorder,
                       const std::function<bool()>& done, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("PumpUntil: timed out");
    auto r = stream.PollAndPump(recorder, 1000,
                                std::min(deadline, absl::Now() + absl::Milliseconds(200)));
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::testing
