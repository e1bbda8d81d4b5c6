#include "engine/sink/stream_load_batch_loader.h"

#include "engine/sink/label.h"

namespace dbmazz::sink {

std::string StreamLoadBatchLoader::LabelFor(const Batch& batch) const {
  LabelSpec spec;
  spec.pipeline = pipeline_id_;
  spec.table = batch.target_table;
  spec.first_lsn = batch.first.commit_lsn;
  spec.first_index = batch.first.index;
  spec.last_lsn = batch.last.commit_lsn;
  spec.last_index = batch.last.index;
  return MakeLabel(spec);
}

absl::Status StreamLoadBatchLoader::Load(const Batch& batch, const std::function<bool()>& tick) {
  LoadRequest request;
  request.table = batch.target_table;
  request.label = LabelFor(batch);
  request.body = batch.body;
  request.columns = batch.columns;
  request.partial_update = batch.partial_update;
  std::function<bool()> cancelled;
  if (tick) cancelled = [&tick] { return !tick(); };
  return client_->Load(request, cancelled);
}

}  // namespace dbmazz::sink
