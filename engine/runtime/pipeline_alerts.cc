#include "engine/runtime/pipeline_alerts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/byte_size.h"

namespace dbmazz::runtime {

void PipelineAlerts::Apply(WarningKind kind, bool above, bool below, std::string message,
                           absl::Time now, std::vector<Change>* changes) {
  auto it = std::find_if(warnings_.begin(), warnings_.end(),
                         [kind](const PipelineWarning& w) { return w.kind == kind; });
  if (it != warnings_.end()) {
    if (below) {
      PipelineWarning cleared = std::move(*it);
      cleared.message = std::move(message);
      warnings_.erase(it);
      changes->push_back({false, std::move(cleared)});
    } else {
      it->message = std::move(message);
    }
    return;
  }
  if (!above) return;
  warnings_.push_back({kind, std::move(message), now});
  changes->push_back({true, warnings_.back()});
}

std::vector<PipelineAlerts::Change> PipelineAlerts::Evaluate(const Inputs& in, absl::Time now) {
  std::vector<Change> changes;
  bool slot = in.active && in.slot.has_value() && in.slot->exists;

  uint64_t max_wal = thresholds_.max_retained_wal_bytes;
  uint64_t wal = slot ? in.slot->retained_wal_bytes : 0;
  Apply(WarningKind::kRetainedWalHigh, slot && max_wal > 0 && wal > max_wal,
        !slot || max_wal == 0 || wal <= max_wal / 10 * 9,
        absl::StrCat("the replication slot retains ", FormatBytes(wal),
                     " of WAL (alerts.max_retained_wal_bytes ", FormatBytes(max_wal),
                     "): the pipeline is not consuming as fast as the source writes, or is "
                     "paused/failed; PostgreSQL keeps this WAL until it catches up"),
        now, &changes);

  absl::Duration max_lag = thresholds_.max_lag;
  bool lag_on = in.active && max_lag > absl::ZeroDuration();
  Apply(WarningKind::kLagHigh, lag_on && in.lag > max_lag, !lag_on || in.lag <= max_lag * 0.9,
        absl::StrCat("lag ", absl::FormatDuration(absl::Trunc(in.lag, absl::Milliseconds(100))),
                     " (alerts.max_lag ", absl::FormatDuration(max_lag),
                     "): changes committed that long ago are not in StarRocks yet"),
        now, &changes);

  bool unreserved = slot && in.slot->wal_status == "unreserved";
  Apply(WarningKind::kSlotWalUnreserved, unreserved, !unreserved,
        absl::StrCat("slot wal_status is \"", slot ? in.slot->wal_status : "", "\"",
                     unreserved ? ": it holds more WAL than max_slot_wal_keep_size allows and "
                                  "PostgreSQL may remove it at the next checkpoint (the slot "
                                  "would be lost); let the pipeline catch up, or raise "
                                  "max_slot_wal_keep_size"
                                : ""),
        now, &changes);
  return changes;
}

}  // namespace dbmazz::runtime
