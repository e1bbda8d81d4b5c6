#include "engine/sink/stream_load_batch_loader.h"

#include "engine/sink/label.h"

namespace dbmazz::sink {

std::string BatchLabel(std::string_view pipeline_id, const Batch& batch) {
  LabelSpec spec;
  spec.pipeline = pipeline_id;
  spec.table = batch.target_table;
  spec.first_lsn = batch.first.commit_lsn;
  spec.first_index = batch.first.index;
  spec.last_lsn = batch.last.commit_lsn;
  spec.last_index = batch.last.index;
  return MakeLabel(spec);
}

LoadRequest BatchRequest(std::string_view pipeline_id, const Batch& batch) {
  LoadRequest request;
  request.table = batch.target_table;
  request.label = BatchLabel(pipeline_id, batch);
  request.body = batch.body;
  request.columns = batch.columns;
  request.partial_update = batch.partial_update;
  return request;
}

std::string StreamLoadBatchLoader::LabelFor(const Batch& batch) const {
  return BatchLabel(pipeline_id_, batch);
}

absl::Status StreamLoadBatchLoader::Load(const Batch& batch, const std::function<bool()>& tick) {
  LoadRequest request = BatchRequest(pipeline_id_, batch);
  std::function<bool()> cancelled;
  if (tick) cancelled = [&tick] { return !tick(); };
  return client_->Load(request, cancelled);
}

}  // namespace dbmazz::sink
