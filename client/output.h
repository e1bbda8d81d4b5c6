// dbmazzctl's output: human-readable tables (the default) and proto3 JSON
// (-o json) for scripts. Pure formatting, no I/O.
#ifndef DBMAZZ_CLIENT_OUTPUT_H_
#define DBMAZZ_CLIENT_OUTPUT_H_

#include <string>
#include <vector>

#include "dbmazz/v1/pipeline_service.pb.h"

namespace dbmazz::client {

// One line per pipeline: id, state, desired, rows, lag (seconds / bytes),
// retained WAL, warnings (their kinds, or "-"), message. `rates` (rows/s per pipeline, same order)
// may be empty.
std::string PipelinesTable(const std::vector<v1::Pipeline>& pipelines,
                           const std::vector<double>& rates = {});
// Every field worth reading, one per line.
std::string PipelineDetail(const v1::Pipeline& pipeline);
std::string EventsTable(const v1::ListPipelineEventsResponse& events);
std::string ChecksTable(const v1::ValidatePipelineResponse& response);
// proto3 JSON (field names as in the .proto, defaults included), one object.
std::string ToJson(const google::protobuf::Message& message);
// "[#####...............]  25%": `fraction` in [0, 1], `width` characters.
std::string ProgressBar(double fraction, int width);
// The snapshot's progress bar, rows, chunks and rate on one line.
std::string SnapshotSummary(const v1::SnapshotProgress& snapshot);
// "STREAMING" etc. without the enum prefix.
std::string StateName(v1::Pipeline::State state);
// "RETAINED_WAL_HIGH", "LAG_HIGH", ...
std::string WarningKindName(v1::PipelineWarning::Kind kind);
// "0.0s", or "12.5s / 3.0 MiB" once the slot was sampled.
std::string LagText(const v1::PipelineStats& stats);

}  // namespace dbmazz::client

#endif  // DBMAZZ_CLIENT_OUTPUT_H_
