// PostgreSQL DSN helpers for specs: validation whose errors never quote the
// DSN, display with secrets masked, and scrubbing a secret from messages.
//
// libpq's own parse errors can quote fragments of the DSN (and so of a badly
// quoted password); CheckDsn reports a fixed description instead.
//
// Thread-safety: pure functions.
#ifndef DBMAZZ_ENGINE_PIPELINE_DSN_INFO_H_
#define DBMAZZ_ENGINE_PIPELINE_DSN_INFO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace dbmazz::pipeline {

// OK when libpq parses `dsn` (conninfo or postgresql:// URI) and it names the
// database (dbname). kInvalidArgument "<field>: ..." otherwise, with a fixed
// description of the problem (never a fragment of the DSN).
[[nodiscard]] absl::Status CheckDsn(std::string_view field, std::string_view dsn);

// The DSN in conninfo form with password and sslpassword values replaced by
// `mask`; "<unparseable DSN>" when libpq cannot parse it.
std::string MaskDsnSecrets(std::string_view dsn, std::string_view mask);

// The DSN's password ("" when it has none or does not parse).
std::string DsnPassword(std::string_view dsn);

// `message` with every occurrence of `secret` replaced by "******". A second
// line of defence (libpq and libcurl do not put passwords in their messages):
// secrets shorter than 4 bytes are left alone, as they would match ordinary
// text and make messages unreadable.
std::string ScrubSecret(std::string message, std::string_view secret);

}  // namespace dbmazz::pipeline

#endif  // DBMAZZ_ENGINE_PIPELINE_DSN_INFO_H_
