#include "engine/pipeline/spec_validator.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "engine/pipeline/dsn_info.h"
#include "engine/pipeline/http_probe.h"
#include "engine/pipeline/source_checker.h"
#include "engine/postgres/pg_connection.h"

namespace dbmazz::pipeline {
namespace {

using postgres::PgConnection;

constexpr char kSkippedUnreachable[] = "skipped: source unreachable";

CheckResult SinkCheck(const PipelineSpec& spec, const ValidationContext& context) {
  const std::string& url = spec.sink.fe_url;
  std::string name = "sink.reachable";
  if (url.find('@') != std::string::npos) {
    return FailCheck(name, "sink.fe_url must not carry credentials",
                     absl::StatusCode::kInvalidArgument);
  }
  auto status = ProbeHttp(url, context.sink_timeout);
  if (!status.ok()) {
    return FailCheck(name, ScrubSecret(std::string(status.status().message()), spec.sink.password),
                     CheckCodeFor(status.status()));
  }
  return PassCheck(name, absl::StrCat("HTTP ", *status, " from ", url));
}

}  // namespace

absl::StatusOr<std::vector<CheckResult>> ValidateLive(const PipelineSpec& spec,
                                                      const ValidationContext& context) {
  if (spec.source.slot_name.empty() || spec.source.publication_name.empty()) {
    return absl::InvalidArgumentError(
        "source.slot_name and source.publication_name must be set (ApplyDefaults)");
  }
  if (absl::Status s = postgres::ValidateSlotName(spec.source.slot_name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("source.slot_name: ", s.message()));
  }
  for (size_t i = 0; i < spec.tables.size(); ++i) {
    if (spec.tables[i].target.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tables[", i, "].target: empty (ApplyDefaults fills it)"));
    }
  }
  std::vector<CheckResult> checks;
  std::string secret = DsnPassword(spec.source.dsn);
  std::unique_ptr<PgConnection> conn;
  if (absl::Status s = CheckDsn("source.dsn", spec.source.dsn); !s.ok()) {
    checks.push_back(FailCheck("source.reachable", std::string(s.message()), s.code()));
  } else {
    postgres::ConnectOptions options;
    options.connect_timeout = context.connect_timeout;
    options.application_name = "dbmazz-validate";
    auto connected = PgConnection::Connect(spec.source.dsn, options);
    if (connected.ok()) {
      conn = std::move(*connected);
      checks.push_back(
          PassCheck("source.reachable",
                    absl::StrCat("connected to PostgreSQL ", conn->server_version() / 10000, ".",
                                 conn->server_version() % 10000)));
    } else {
      absl::StatusCode code = CheckCodeFor(connected.status());
      if (code == absl::StatusCode::kFailedPrecondition &&
          connected.status().code() != absl::StatusCode::kNotFound) {
        code = absl::StatusCode::kUnavailable;
      }
      checks.push_back(FailCheck("source.reachable",
                                 ScrubSecret(std::string(connected.status().message()), secret),
                                 code));
    }
  }
  if (conn == nullptr) {
    for (std::string& name : SourceCheckNames(spec)) {
      checks.push_back(FailCheck(std::move(name), kSkippedUnreachable));
    }
  } else {
    SourceChecker(spec, context, conn.get()).Run(&checks);
  }
  if (context.check_sink) checks.push_back(SinkCheck(spec, context));
  for (CheckResult& check : checks) check.message = ScrubSecret(std::move(check.message), secret);
  return checks;
}

absl::Status FirstFailure(const std::vector<CheckResult>& checks) {
  for (const CheckResult& check : checks) {
    if (check.passed) continue;
    absl::StatusCode code =
        check.code == absl::StatusCode::kOk ? absl::StatusCode::kFailedPrecondition : check.code;
    return absl::Status(code, absl::StrCat(check.name, ": ", check.message));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::pipeline
