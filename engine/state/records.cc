#include "engine/state/records.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::state {

std::string_view DesiredStateName(DesiredState state) {
  switch (state) {
    case DesiredState::kRunning:
      return "running";
    case DesiredState::kPaused:
      return "paused";
  }
  return "unknown";
}

absl::StatusOr<DesiredState> ParseDesiredState(std::string_view text) {
  if (text == "running") return DesiredState::kRunning;
  if (text == "paused") return DesiredState::kPaused;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown desired state '", AsAbsl(text), "' (expected running or paused)"));
}

std::string_view SnapshotTableStateName(SnapshotTableState state) {
  switch (state) {
    case SnapshotTableState::kPending:
      return "pending";
    case SnapshotTableState::kCopying:
      return "copying";
    case SnapshotTableState::kDone:
      return "done";
    case SnapshotTableState::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::StatusOr<SnapshotTableState> ParseSnapshotTableState(std::string_view text) {
  if (text == "pending") return SnapshotTableState::kPending;
  if (text == "copying") return SnapshotTableState::kCopying;
  if (text == "done") return SnapshotTableState::kDone;
  if (text == "failed") return SnapshotTableState::kFailed;
  return absl::InvalidArgumentError(absl::StrCat("unknown snapshot table state '", AsAbsl(text),
                                                 "' (expected pending, copying, done or failed)"));
}

}  // namespace dbmazz::state
