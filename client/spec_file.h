// A pipeline spec file (YAML or JSON, deploy/examples/pipeline.yaml) read by
// dbmazzctl: parsed and checked with the engine's own parser (so a typo is
// reported locally, with the field), then converted to the API message.
#ifndef DBMAZZ_CLIENT_SPEC_FILE_H_
#define DBMAZZ_CLIENT_SPEC_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "dbmazz/v1/pipeline_service.pb.h"
#include "engine/pipeline/pipeline_spec.h"

namespace dbmazz::client {

struct SpecFile {
  pipeline::PipelineSpec engine;
  v1::PipelineSpec proto;
};

// kInvalidArgument (unreadable file, or the parser's message naming the field).
[[nodiscard]] absl::StatusOr<SpecFile> ReadSpecFile(const std::string& path);

}  // namespace dbmazz::client

#endif  // DBMAZZ_CLIENT_SPEC_FILE_H_
