// A ChangeHandler for tests: keeps a relation cache and records every
// transaction as readable rows ("I public.t id=1 name=a").
#ifndef DBMAZZ_TESTS_INTEGRATION_CHANGE_RECORDER_H_
#define DBMAZZ_TESTS_INTEGRATION_CHANGE_RECORDER_H_

#include <functional>
#include <string>
#include <vector>

#include "engine/pgoutput/relation_cache.h"
#include "engine/replication/replication_stream.h"

namespace dbmazz::testing {

struct RecordedTxn {
  uint32_t xid = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  std::vector<std::string> rows;  // one line per change, in stream order
};

class ChangeRecorder : public replication::ChangeHandler {
 public:
  absl::Status OnMessage(const pgoutput::DecodedMessage& m, Lsn wal_start) override;

  const std::vector<RecordedTxn>& txns() const { return txns_; }
  std::vector<std::string> AllRows() const;
  const pgoutput::RelationCache& relations() const { return relations_; }
  int relation_messages() const { return relation_messages_; }
  const std::vector<std::string>& messages() const { return messages_; }  // logical messages

 private:
  std::string FormatTuple(const pgoutput::Relation& rel, const pgoutput::TupleData& t,
                          bool key_only) const;

  pgoutput::RelationCache relations_;
  std::vector<RecordedTxn> txns_;
  RecordedTxn current_;
  bool open_ = false;
  int relation_messages_ = 0;
  std::vector<std::string> messages_;
};

// Pumps `stream` into `recorder` until `done()` is true or `timeout` passes.
// Returns the stream's error, or DeadlineExceeded.
[[nodiscard]] absl::Status PumpUntil(replication::ReplicationStream& stream,
                                     ChangeRecorder& recorder, const std::function<bool()>& done,
                                     absl::Duration timeout = absl::Seconds(30));

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_INTEGRATION_CHANGE_RECORDER_H_
