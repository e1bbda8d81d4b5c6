#include "client/output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/byte_size.h"

namespace dbmazz::client {

namespace {

// Left-aligned columns, two spaces apart.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(t);
}

std::string Desired(v1::Pipeline::DesiredState d) {
  return d == v1::Pipeline::PAUSED_BY_USER ? "paused" : "running";
}

// Share of the copy done: rows against the estimate, or chunks without one.
double SnapshotFraction(const v1::SnapshotProgress& s) {
  if (s.done()) return 1;
  if (s.rows_estimate() > 0) {
    return std::min(0.99, static_cast<double>(s.rows_copied()) /
                              static_cast<double>(std::max(s.rows_estimate(), s.rows_copied())));
  }
  return s.chunks_total() > 0 ? static_cast<double>(s.chunks_done()) / s.chunks_total() : 0;
}

}  // namespace

std::string ProgressBar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * width + 0.5);
  return absl::StrFormat("[%s%s] %3.0f%%", std::string(filled, '#'),
                         std::string(width - filled, '.'), fraction * 100);
}

std::string SnapshotSummary(const v1::SnapshotProgress& s) {
  return absl::StrFormat("%s %d/%d rows, %d/%d chunks, %.0f rows/s",
                         ProgressBar(SnapshotFraction(s), 20), s.rows_copied(),
                         std::max(s.rows_estimate(), s.rows_copied()), s.chunks_done(),
                         s.chunks_total(), s.rows_per_second());
}

std::string StateName(v1::Pipeline::State state) { return v1::Pipeline::State_Name(state); }

std::string LagText(const v1::PipelineStats& s) {
  std::string seconds = absl::StrFormat("%.1fs", s.lag_seconds());
  if (s.server_wal_lsn().empty()) return seconds;
  return absl::StrCat(seconds, " / ", FormatBytes(s.lag_bytes()));
}

static std::string WarningsMarker(const v1::Pipeline& p) {
  if (p.warnings().empty()) return "-";
  std::string out;
  for (const auto& w : p.warnings()) {
    absl::StrAppend(&out, out.empty() ? "" : ",", WarningKindName(w.kind()));
  }
  return out;
}

std::string WarningKindName(v1::PipelineWarning::Kind kind) {
  return v1::PipelineWarning::Kind_Name(kind);
}

std::string PipelinesTable(const std::vector<v1::Pipeline>& pipelines,
                           const std::vector<double>& rates) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"ID",         "STATE", "DESIRED",      "ROWS",
                                     "CHECKPOINT", "LAG",   "RETAINED WAL", "WARN"};
  if (!rates.empty()) header.insert(header.begin() + 4, "ROWS/S");
  header.push_back("MESSAGE");
  rows.push_back(header);
  for (size_t i = 0; i < pipelines.size(); ++i) {
    const v1::Pipeline& p = pipelines[i];
    const v1::PipelineStats& s = p.stats();
    std::vector<std::string> row = {
        p.pipeline_id(),
        StateName(p.state()),
        Desired(p.desired_state()),
        absl::StrCat(s.rows_inserted() + s.rows_updated() + s.rows_deleted()),
        s.checkpoint_lsn().empty() ? "-" : s.checkpoint_lsn(),
        LagText(s),
        s.server_wal_lsn().empty() ? "-" : FormatBytes(s.retained_wal_bytes()),
        WarningsMarker(p),
    };
    if (!rates.empty()) {
      row.insert(row.begin() + 4, i < rates.size() ? absl::StrFormat("%.0f", rates[i]) : "-");
    }
    std::string message = p.message();
    if (p.state() == v1::Pipeline::SNAPSHOTTING && p.has_snapshot()) {
      message = absl::StrCat("snapshot ", SnapshotSummary(p.snapshot()));
    }
    if (message.size() > 100) message = message.substr(0, 97) + "...";
    row.push_back(message);
    rows.push_back(std::move(row));
  }
  return Table(rows);
}

std::string PipelineDetail(const v1::Pipeline& p) {
  const v1::PipelineStats& s = p.stats();
  std::vector<std::vector<std::string>> rows = {
      {"pipeline:", p.pipeline_id()},
      {"state:", absl::StrCat(StateName(p.state()), " (desired: ", Desired(p.desired_state()),
                              ", since ", Time(p.state_time()), ")")},
      {"message:", p.message()},
      {"source:", p.spec().source().dsn()},
      {"slot / publication:",
       absl::StrCat(p.spec().source().slot_name(), " / ", p.spec().source().publication_name())},
      {"sink:", absl::StrCat(p.spec().sink().fe_url(), " database ", p.spec().sink().database())},
      {"tables:", absl::StrCat(p.spec().tables_size() + p.spec().table_mappings_size())},
      {"rows:", absl::StrCat(s.rows_inserted(), " inserted, ", s.rows_updated(), " updated, ",
                             s.rows_deleted(), " deleted in ", s.transactions(), " transactions; ",
                             s.rows_loaded(), " loaded")},
      {"checkpoint:", s.checkpoint_lsn()},
      {"confirmed / received:", absl::StrCat(s.confirmed_lsn(), " / ", s.received_lsn())},
      {"server WAL:", s.server_wal_lsn().empty() ? "-" : s.server_wal_lsn()},
      {"lag:", LagText(s)},
      {"retained WAL:", s.server_wal_lsn().empty()
                            ? "-"
                            : absl::StrCat(FormatBytes(s.retained_wal_bytes()), " (slot ",
                                           s.slot_wal_status(), ")")},
      {"backpressured:", s.backpressured() ? "yes" : "no"},
      {"last error:", s.last_error().empty()
                          ? "-"
                          : absl::StrCat(s.last_error(), " (", Time(s.last_error_time()), ")")},
      {"created:", Time(p.create_time())},
  };
  if (p.has_snapshot()) {
    const v1::SnapshotProgress& snap = p.snapshot();
    rows.push_back({"snapshot:", absl::StrCat(snap.done() ? "done, " : "", SnapshotSummary(snap),
                                              " (attempt ", snap.attempt(), ")")});
    for (const auto& t : snap.tables()) {
      rows.push_back({absl::StrCat("  ", t.table(), ":"),
                      absl::StrFormat("%d/%d rows, %d/%d chunks", t.rows_copied(),
                                      std::max(t.rows_estimate(), t.rows_copied()), t.chunks_done(),
                                      t.chunks_total())});
    }
  }
  for (const auto& w : p.warnings()) {
    rows.push_back({"WARNING:", absl::StrCat(WarningKindName(w.kind()), " since ", Time(w.since()),
                                             ": ", w.message())});
  }
  if (p.state() == v1::Pipeline::RETRYING) {
    rows.push_back({"next attempt:", absl::StrCat(Time(s.next_attempt_time()), " (attempt ",
                                                  s.retry_attempt(), ")")});
  }
  return Table(rows);
}

std::string EventsTable(const v1::ListPipelineEventsResponse& events) {
  std::vector<std::vector<std::string>> rows = {{"TIME", "KIND", "MESSAGE"}};
  for (const auto& e : events.events()) rows.push_back({Time(e.time()), e.kind(), e.message()});
  return Table(rows);
}

std::string ChecksTable(const v1::ValidatePipelineResponse& response) {
  std::vector<std::vector<std::string>> rows = {{"CHECK", "RESULT", "MESSAGE"}};
  for (const auto& c : response.checks()) {
    rows.push_back({c.name(), c.passed() ? "ok" : "FAILED", c.message()});
  }
  return Table(rows);
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

}  // namespace dbmazz::client
