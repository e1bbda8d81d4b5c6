// BatchLoader over Stream Load: one StreamLoadClient, labels derived from the
// batch's row positions so that a retry — or a replay after a crash that
// rebuilds the same batch — reuses the label and cannot apply rows twice.
//
// A label names the exact row range (first and last row position); a replay
// that splits batches differently gets different labels, which is safe
// because every row is a primary-key upsert or delete, applied in order.
//
// Ownership: owns the client. Thread-safety: one thread at a time.
// Errors: those of StreamLoadClient::Load; kCancelled when `tick` says stop.
#ifndef DBMAZZ_ENGINE_SINK_STREAM_LOAD_BATCH_LOADER_H_
#define DBMAZZ_ENGINE_SINK_STREAM_LOAD_BATCH_LOADER_H_

#include <memory>
#include <string>

#include "engine/sink/batch.h"
#include "engine/sink/stream_load_client.h"

namespace dbmazz::sink {

// The Stream Load label of `batch`: pipeline, table and exact row range.
std::string BatchLabel(std::string_view pipeline_id, const Batch& batch);

// The Stream Load request for `batch` (its body is borrowed from `batch`).
LoadRequest BatchRequest(std::string_view pipeline_id, const Batch& batch);

class StreamLoadBatchLoader : public BatchLoader {
 public:
  StreamLoadBatchLoader(std::string pipeline_id, std::unique_ptr<StreamLoadClient> client)
      : pipeline_id_(std::move(pipeline_id)), client_(std::move(client)) {}

  [[nodiscard]] absl::Status Load(const Batch& batch, const std::function<bool()>& tick) override;

  // The label Load() uses for `batch`.
  std::string LabelFor(const Batch& batch) const;
  StreamLoadClient& client() { return *client_; }

 private:
  std::string pipeline_id_;
  std::unique_ptr<StreamLoadClient> client_;
};

}  // namespace dbmazz::sink

#endif  // DBMAZZ_ENGINE_SINK_STREAM_LOAD_BATCH_LOADER_H_
