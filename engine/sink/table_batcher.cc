#include "engine/sink/table_batcher.h"

namespace dbmazz::sink {
namespace {

constexpr size_t kMinBodyCapacity = 4096;

}  // namespace

void TableBatcher::AddRow(std::string_view row_json, const ColumnMask* partial_mask,
                          std::string_view columns_header, RowPosition position) {
  if (open_.has_value()) {
    bool fits = partial_mask == nullptr ? !open_->partial_update
                                        : open_->partial_update && *open_mask_ == *partial_mask;
    if (!fits) Seal();
  }
  if (!open_.has_value()) {
    open_.emplace();
    open_->target_table = target_table_;
    open_->source_table = source_table_;
    if (pool_ != nullptr) {
      open_->body = pool_->Take(kMinBodyCapacity);
    } else {
      open_->body.reserve(kMinBodyCapacity);
    }
    open_->body.push_back('[');
    open_->columns.assign(columns_header);
    open_->partial_update = partial_mask != nullptr;
    if (partial_mask != nullptr) open_mask_ = *partial_mask;
    open_->first = position;
    open_->oldest_row_time = absl::Now();
  }
  if (open_->rows > 0) open_->body.push_back(',');
  open_->body.append(row_json);
  ++open_->rows;
  open_->last = position;
  buffered_bytes_ += row_json.size() + 1;
  if (open_->rows >= limits_.max_rows || open_->body.size() >= limits_.max_bytes) Seal();
}

void TableBatcher::Seal() {
  if (!open_.has_value()) return;
  open_->body.push_back(']');
  sealed_.push_back(std::move(*open_));
  open_.reset();
  open_mask_.reset();
}

void TableBatcher::SealIfDue(absl::Time now, bool force) {
  if (!open_.has_value()) return;
  if (force || now - open_->oldest_row_time >= limits_.max_latency) Seal();
}

void TableBatcher::PopFront() {
  if (sealed_.empty()) return;
  buffered_bytes_ -= std::min<uint64_t>(buffered_bytes_, sealed_.front().body.size());
  if (pool_ != nullptr) pool_->Give(std::move(sealed_.front().body));
  sealed_.pop_front();
}

std::optional<RowPosition> TableBatcher::OldestPending() const {
  if (!sealed_.empty()) return sealed_.front().first;
  if (open_.has_value()) return open_->first;
  return std::nullopt;
}

absl::Time TableBatcher::NextDue() const {
  if (!sealed_.empty()) return absl::InfinitePast();
  if (!open_.has_value()) return absl::InfiniteFuture();
  return open_->oldest_row_time + limits_.max_latency;
}

}  // namespace dbmazz::sink
