#include "engine/runtime/pipeline_status.h"

namespace dbmazz::runtime {

std::string_view PipelineStateName(PipelineState state) {
  switch (state) {
    case PipelineState::kUnspecified:
      return "STATE_UNSPECIFIED";
    case PipelineState::kCreating:
      return "CREATING";
    case PipelineState::kSnapshotting:
      return "SNAPSHOTTING";
    case PipelineState::kStreaming:
      return "STREAMING";
    case PipelineState::kPaused:
      return "PAUSED";
    case PipelineState::kRetrying:
      return "RETRYING";
    case PipelineState::kFailed:
      return "FAILED";
    case PipelineState::kDeleting:
      return "DELETING";
    case PipelineState::kCompleted:
      return "COMPLETED";
  }
  return "STATE_UNSPECIFIED";
}

std::string_view WarningKindName(WarningKind kind) {
  switch (kind) {
    case WarningKind::kRetainedWalHigh:
      return "RETAINED_WAL_HIGH";
    case WarningKind::kLagHigh:
      return "LAG_HIGH";
    case WarningKind::kSlotWalUnreserved:
      return "SLOT_WAL_UNRESERVED";
  }
  return "WARNING_KIND_UNSPECIFIED";
}

}  // namespace dbmazz::runtime
