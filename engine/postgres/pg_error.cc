#include "engine/postgres/pg_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/common/absl_compat.h"

namespace dbmazz::postgres {
namespace {

constexpr char kSqlStatePayload[] = "dbmazz.dev/sqlstate";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string TrimMessage(const char* message) {
  std::string_view m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
  return std::string(m);
}

}  // namespace

absl::StatusCode CodeForSqlState(std::string_view s) {
  if (s.size() != 5) return absl::StatusCode::kInternal;
  std::string_view cls = s.substr(0, 2);
  if (s == "55006") return absl::StatusCode::kUnavailable;         // object_in_use
  if (s == "55000") return absl::StatusCode::kFailedPrecondition;  // not in prerequisite state
  if (s == "42704" || s == "42P01" || s == "3D000" || s == "42883" || s == "3F000")
    return absl::StatusCode::kNotFound;
  if (s == "42710" || s == "42P07" || s == "42P04") return absl::StatusCode::kAlreadyExists;
  if (s == "42501") return absl::StatusCode::kPermissionDenied;
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "57014") return absl::StatusCode::kDeadlineExceeded;  // query_canceled
  if (cls == "28") return absl::StatusCode::kUnauthenticated;
  if (cls == "08" || cls == "53" || cls == "57" || cls == "58")
    return absl::StatusCode::kUnavailable;
  if (cls == "22" || cls == "42") return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

absl::Status MakePgStatus(absl::StatusCode code, std::string_view message,
                          std::string_view sqlstate) {
  absl::Status status(code, AsAbsl(message));
  if (!sqlstate.empty()) status.SetPayload(kSqlStatePayload, absl::Cord(AsAbsl(sqlstate)));
  return status;
}

absl::Status StatusFromResult(const PGresult* result, std::string_view context) {
  if (result == nullptr) {
    return absl::UnavailableError(absl::StrCat(AsAbsl(context), ": no result from server"));
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state ? state : "";
  std::string message = TrimMessage(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
  if (message.empty()) message = TrimMessage(PQresultErrorMessage(result));
  if (message.empty())
    message = absl::StrCat("unexpected result ", PQresStatus(PQresultStatus(result)));
  absl::StatusCode code =
      sqlstate.empty() ? absl::StatusCode::kUnavailable : CodeForSqlState(sqlstate);
  std::string text = absl::StrCat(AsAbsl(context), ": ", message);
  if (!sqlstate.empty()) absl::StrAppend(&text, " (SQLSTATE ", sqlstate, ")");
  return MakePgStatus(code, text, sqlstate);
}

absl::Status StatusFromConnection(PGconn* conn, std::string_view context) {
  std::string message = conn ? TrimMessage(PQerrorMessage(conn)) : "out of memory";
  // libpq prefixes connection errors with the address it tried; keep it, it is
  // what an operator needs ("connection to server at ... failed: ...").
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  if (Contains(message, "password authentication failed") ||
      Contains(message, "no pg_hba.conf entry") || Contains(message, "authentication failed") ||
      Contains(message, "password is missing") || Contains(message, "no password supplied") ||
      (Contains(message, "role \"") && Contains(message, "does not exist"))) {
    code = absl::StatusCode::kUnauthenticated;
  } else if (Contains(message, "database \"") && Contains(message, "does not exist")) {
    code = absl::StatusCode::kNotFound;
  } else if (Contains(message, "must be superuser or replication role") ||
             Contains(message, "permission denied")) {
    code = absl::StatusCode::kPermissionDenied;
  } else if (Contains(message, "invalid connection option") || Contains(message, "invalid URI") ||
             Contains(message, "missing \"=\"") ||
             Contains(message, "unterminated quoted string") ||
             Contains(message, "invalid integer value") ||
             Contains(message, "invalid port number")) {
    code = absl::StatusCode::kInvalidArgument;
  }
  return absl::Status(code, absl::StrCat(AsAbsl(context), ": ", message));
}

std::optional<std::string> SqlStateOf(const absl::Status& status) {
  auto payload = status.GetPayload(kSqlStatePayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace dbmazz::postgres
