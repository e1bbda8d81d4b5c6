#include "client/spec_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/proto_convert.h"

namespace dbmazz::client {

absl::StatusOr<SpecFile> ReadSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto spec = pipeline::ParseSpecYaml(text.str());
  if (!spec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", spec.status().message()));
  }
  SpecFile file;
  file.engine = std::move(*spec);
  server::SpecToProto(file.engine, &file.proto, /*redact_password=*/false);
  return file;
}

}  // namespace dbmazz::client
