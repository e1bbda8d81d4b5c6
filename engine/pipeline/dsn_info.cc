#include "engine/pipeline/dsn_info.h"

#include <libpq-fe.h>

#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/common/absl_compat.h"
#include "engine/postgres/pg_connection.h"

namespace dbmazz::pipeline {
namespace {

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

// Parses `dsn`; on failure sets *problem to a fixed description.
ConninfoPtr Parse(std::string_view dsn, std::string* problem) {
  std::string copy(dsn);
  char* err = nullptr;
  ConninfoPtr parsed(PQconninfoParse(copy.c_str(), &err));
  if (parsed) return parsed;
  std::string message = err != nullptr ? err : "out of memory";
  if (err != nullptr) PQfreemem(err);
  if (problem == nullptr) return nullptr;
  // libpq quotes fragments of the input in its messages; map them to fixed
  // text so no part of a password can leak.
  if (absl::StrContains(message, "missing \"=\"")) {
    *problem = "a keyword has no '=' (quote values containing spaces, e.g. password='a b')";
  } else if (absl::StrContains(message, "unterminated quoted string")) {
    *problem = "unterminated quoted value";
  } else if (absl::StrContains(message, "invalid connection option")) {
    *problem = "unknown keyword (see libpq's connection parameters)";
  } else if (absl::StrContains(message, "percent-encoded")) {
    *problem = "bad percent-encoding in the URI";
  } else if (absl::StrContains(message, "URI")) {
    *problem = "malformed postgresql:// URI";
  } else if (absl::StrContains(message, "out of memory")) {
    *problem = "out of memory while parsing";
  } else {
    *problem = "not a valid connection string";
  }
  return nullptr;
}

const char* Value(const PQconninfoOption* options, const char* keyword) {
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, keyword) == 0) return o->val;
  }
  return nullptr;
}

}  // namespace

absl::Status CheckDsn(std::string_view field, std::string_view dsn) {
  if (dsn.empty()) return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": required"));
  if (dsn.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": contains a NUL byte"));
  }
  std::string problem;
  ConninfoPtr parsed = Parse(dsn, &problem);
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(field), ": not a valid PostgreSQL connection string (key=value pairs or a ",
        "postgresql:// URI): ", problem));
  }
  const char* dbname = Value(parsed.get(), "dbname");
  if (dbname == nullptr || *dbname == '\0') {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(field), ": must name the database (dbname=... or postgresql://host/dbname)"));
  }
  return absl::OkStatus();
}

std::string MaskDsnSecrets(std::string_view dsn, std::string_view mask) {
  ConninfoPtr parsed = Parse(dsn, nullptr);
  if (!parsed) return "<unparseable DSN>";
  std::string out;
  for (const PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (!out.empty()) out.push_back(' ');
    bool secret =
        std::strcmp(o->keyword, "password") == 0 || std::strcmp(o->keyword, "sslpassword") == 0;
    absl::StrAppend(&out, o->keyword, "=",
                    postgres::QuoteConninfoValue(secret ? mask : std::string_view(o->val)));
  }
  return out;
}

std::string DsnPassword(std::string_view dsn) {
  ConninfoPtr parsed = Parse(dsn, nullptr);
  if (!parsed) return "";
  const char* password = Value(parsed.get(), "password");
  return password != nullptr ? password : "";
}

constexpr size_t kMinScrubbedSecret = 4;

std::string ScrubSecret(std::string message, std::string_view secret) {
  if (secret.size() < kMinScrubbedSecret) return message;
  return absl::StrReplaceAll(message, {{AsAbsl(secret), "******"}});
}

}  // namespace dbmazz::pipeline
