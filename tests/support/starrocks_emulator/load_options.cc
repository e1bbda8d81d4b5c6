#include "tests/support/starrocks_emulator/load_options.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/starrocks_emulator/value_text.h"

namespace dbmazz::starrocks_emulator {
namespace {

// "true"/"false" (case-insensitive); nullopt for anything else.
std::optional<bool> ParseBool(const std::string& value) {
  if (absl::EqualsIgnoreCase(value, "true")) return true;
  if (absl::EqualsIgnoreCase(value, "false")) return false;
  return std::nullopt;
}

bool IsKnownFormat(const std::string& f) {
  for (const char* known : {"csv", "json", "gzip", "bzip2", "lz4", "deflate", "zstd"}) {
    if (absl::EqualsIgnoreCase(f, known)) return true;
  }
  return false;
}

}  // namespace

bool IsValidLabel(const std::string& label) {
  if (label.empty() || label.size() > 128) return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status ParsePreBeginOptions(const LoadRequest& request, int64_t json_size_limit,
                                  LoadOptions* options) {
  if (auto format = request.Header("format"); format && !format->empty()) {
    if (!IsKnownFormat(*format)) {
      return absl::InternalError(absl::StrCat("unknown data format, format=", *format));
    }
    options->format = absl::AsciiStrToLower(*format);
    if (options->format == "json") {
      options->ignore_json_size =
          absl::EqualsIgnoreCase(request.HeaderOr("ignore_json_size"), "true");
      if (!options->ignore_json_size && request.content_length &&
          *request.content_length > json_size_limit) {
        return absl::InternalError(absl::StrCat(
            "The size of this batch exceed the max size [", json_size_limit,
            "]  of json type data  data [ ", *request.content_length,
            " ]. Set ignore_json_size to skip the check, although it may lead huge memory "
            "consuming."));
      }
    }
  }
  if (auto timeout = request.Header("timeout"); timeout && !timeout->empty()) {
    auto parsed = ParseInt128(*timeout);
    if (!parsed || *parsed < 0 || *parsed > 2147483647 ||
        timeout->find_first_of("+-") != std::string::npos) {
      return absl::InvalidArgumentError("Invalid timeout format");
    }
    options->timeout_s = static_cast<int64_t>(*parsed);
  }
  return absl::OkStatus();
}

absl::Status ParsePlanOptions(const LoadRequest& request, LoadOptions* options) {
  if (auto v = request.Header("strict_mode"); v && !v->empty()) {
    auto b = ParseBool(*v);
    if (!b) return absl::InvalidArgumentError("Invalid strict mode format. Must be bool type");
    options->strict_mode = *b;
  }
  if (auto v = request.Header("partial_update"); v && !v->empty()) {
    auto b = ParseBool(*v);
    if (!b) {
      return absl::InvalidArgumentError("Invalid partial update flag format. Must be bool type");
    }
    options->partial_update = *b;
  }
  if (auto v = request.Header("partial_update_mode"); v && !v->empty()) {
    if (*v == "row" || *v == "column" || *v == "auto") options->partial_update_mode = *v;
  }
  options->strip_outer_array =
      absl::EqualsIgnoreCase(request.HeaderOr("strip_outer_array"), "true");
  if (auto v = request.Header("max_filter_ratio"); v && !v->empty()) {
    options->max_filter_ratio = std::strtod(v->c_str(), nullptr);
  }
  options->merge_condition = request.HeaderOr("merge_condition");
  if (request.Header("Content-Encoding") && request.Header("compression")) {
    return absl::InvalidArgumentError(
        "Only one of http header content-encoding and compression can be set");
  }
  if (auto columns = request.Header("columns"); columns && !columns->empty()) {
    std::vector<std::string> names;
    for (absl::string_view item : absl::StrSplit(*columns, ',')) {
      std::string name(absl::StripAsciiWhitespace(item));
      if (name.size() >= 2 && name.front() == '`' && name.back() == '`') {
        name = name.substr(1, name.size() - 2);
      }
      if (name.find('=') != std::string::npos) {
        return absl::UnimplementedError(absl::StrCat(
            "starrocks emulator: column expressions in 'columns' are not supported: ", name));
      }
      if (name.empty()) return absl::InvalidArgumentError("Empty column name in 'columns'");
      names.push_back(name);
    }
    options->columns = std::move(names);
  }
  for (const char* unsupported : {"jsonpaths", "json_root", "where", "compression"}) {
    if (request.Header(unsupported)) {
      return absl::UnimplementedError(
          absl::StrCat("starrocks emulator: header '", unsupported, "' is not supported"));
    }
  }
  if (options->format != "json") {
    return absl::UnimplementedError(
        absl::StrCat("starrocks emulator: only format=json is supported (format=", options->format,
                     "; StarRocks defaults to csv when the format header is absent)"));
  }
  return absl::OkStatus();
}

}  // namespace dbmazz::starrocks_emulator
