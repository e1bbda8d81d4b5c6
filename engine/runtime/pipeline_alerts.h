// A pipeline's warning conditions: the spec's alert thresholds (retained
// WAL, lag) and the slot's own danger signal (wal_status = unreserved),
// evaluated against the latest figures. A condition is raised when its
// figure exceeds the threshold and cleared when it falls back to 90% of it
// or below (a little hysteresis so a figure hovering at the threshold does
// not flap). A threshold of 0 disables its condition.
//
//   PipelineAlerts alerts(spec.alerts);
//   for (const auto& change : alerts.Evaluate({.slot = status.slot, .lag = lag}, now))
//     record(change.raised ? "warning_raised" : "warning_cleared", change.warning);
//   status.warnings = alerts.warnings();
//
// Thread-safety: none (the owner locks). Plain value.
#ifndef DBMAZZ_ENGINE_RUNTIME_PIPELINE_ALERTS_H_
#define DBMAZZ_ENGINE_RUNTIME_PIPELINE_ALERTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/pipeline/pipeline_spec.h"
#include "engine/runtime/pipeline_status.h"

namespace dbmazz::runtime {

class PipelineAlerts {
 public:
  struct Inputs {
    std::optional<SlotHealth> slot;  // the last sample, if any
    absl::Duration lag = absl::ZeroDuration();
    // False once the pipeline has nothing left to watch (completed,
    // deleting): every condition clears.
    bool active = true;
  };
  struct Change {
    bool raised = false;  // false: cleared
    PipelineWarning warning;
  };

  explicit PipelineAlerts(pipeline::AlertSpec thresholds) : thresholds_(thresholds) {}

  // Updates the conditions (their messages carry the latest figures) and
  // returns those raised or cleared by this call.
  std::vector<Change> Evaluate(const Inputs& inputs, absl::Time now);
  // Raised conditions, in the order they were raised.
  const std::vector<PipelineWarning>& warnings() const { return warnings_; }

 private:
  // `above`: raise (or keep); `below`: clear; neither: keep as it is.
  void Apply(WarningKind kind, bool above, bool below, std::string message, absl::Time now,
             std::vector<Change>* changes);

  pipeline::AlertSpec thresholds_;
  std::vector<PipelineWarning> warnings_;
};

}  // namespace dbmazz::runtime

#endif  // DBMAZZ_ENGINE_RUNTIME_PIPELINE_ALERTS_H_
