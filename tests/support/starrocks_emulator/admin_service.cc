#include "tests/support/starrocks_emulator/admin_service.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/http_util.h"
#include "tests/support/starrocks_emulator/table_dump.h"

namespace dbmazz::starrocks_emulator {
namespace {

using OrderedJson = nlohmann::ordered_json;

absl::Status NoTable(const std::string& db, const std::string& table) {
  return absl::NotFoundError(absl::StrCat("unknown table \"", db, ".", table, "\""));
}

void Reply(httplib::Response& res, const absl::Status& st, const OrderedJson& ok_body) {
  if (st.ok()) {
    SetJson(res, 200, ok_body.dump(2));
    return;
  }
  int code = 500;
  switch (st.code()) {
    case absl::StatusCode::kNotFound:
      code = 404;
      break;
    case absl::StatusCode::kInvalidArgument:
      code = 400;
      break;
    case absl::StatusCode::kAlreadyExists:
      code = 409;
      break;
    default:
      break;
  }
  SetJson(res, code, OrderedJson{{"error", std::string(st.message())}}.dump(2));
}

std::string Param(const httplib::Request& req, int i) {
  return httplib::detail::decode_url(req.matches[i].str(), false);
}

}  // namespace

absl::StatusOr<OrderedJson> AdminService::DumpTable(const std::string& db,
                                                    const std::string& table) {
  std::lock_guard<std::mutex> lock(state_->mu);
  TableData* t = state_->catalog.FindTable(db, table);
  if (t == nullptr) return NoTable(db, table);
  return starrocks_emulator::DumpTable(*t);
}

absl::StatusOr<int64_t> AdminService::RowCount(const std::string& db, const std::string& table) {
  std::lock_guard<std::mutex> lock(state_->mu);
  TableData* t = state_->catalog.FindTable(db, table);
  if (t == nullptr) return NoTable(db, table);
  return static_cast<int64_t>(t->RowCount());
}

absl::StatusOr<std::string> AdminService::Checksum(const std::string& db,
                                                   const std::string& table) {
  std::lock_guard<std::mutex> lock(state_->mu);
  TableData* t = state_->catalog.FindTable(db, table);
  if (t == nullptr) return NoTable(db, table);
  return TableChecksum(*t);
}

absl::Status AdminService::Truncate(const std::string& db, const std::string& table) {
  std::lock_guard<std::mutex> lock(state_->mu);
  TableData* t = state_->catalog.FindTable(db, table);
  if (t == nullptr) return NoTable(db, table);
  t->Clear();
  return absl::OkStatus();
}

absl::Status AdminService::CreateTable(std::string_view spec) {
  auto table = ParseTableSpec(spec);
  if (!table.ok()) return table.status();
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->catalog.AddTable(*std::move(table));
}

absl::Status AdminService::SetLabelState(std::string_view text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    std::string db = j.at("db").get<std::string>();
    std::string label = j.at("label").get<std::string>();
    auto state = ParseTxnState(j.at("state").get<std::string>());
    auto then = ParseTxnState(j.value("then", "VISIBLE"));
    int64_t duration_ms = j.value("duration_ms", int64_t{0});
    if (!state || !then || duration_ms < 0) {
      return absl::InvalidArgumentError(
          "state/then must be PREPARE, PREPARED, COMMITTED, VISIBLE, ABORTED or UNKNOWN");
    }
    std::optional<LabelRegistry::Clock::time_point> until;
    if (duration_ms > 0) {
      until = LabelRegistry::Clock::now() + std::chrono::milliseconds(duration_ms);
    }
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->catalog.HasDatabase(db)) {
      return absl::NotFoundError(absl::StrCat("unknown database, database=", db));
    }
    state_->labels.Set(db, label, *state, until, *then, j.value("reason", ""));
    return absl::OkStatus();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad label JSON: ", e.what()));
  }
}

OrderedJson AdminService::ListTables() {
  std::lock_guard<std::mutex> lock(state_->mu);
  OrderedJson out = OrderedJson::array();
  for (TableData* t : state_->catalog.Tables()) {
    OrderedJson j;
    j["database"] = t->spec().database;
    j["table"] = t->spec().name;
    j["keys"] = t->spec().model == KeyModel::kPrimary ? "PRIMARY" : "DUPLICATE";
    j["row_count"] = t->RowCount();
    OrderedJson columns = OrderedJson::array();
    for (const ColumnSpec& c : t->spec().columns) {
      OrderedJson cj;
      cj["name"] = c.name;
      cj["type"] = c.type.ToString();
      cj["not_null"] = c.not_null;
      if (c.default_value) cj["default"] = *c.default_value;
      columns.push_back(std::move(cj));
    }
    j["columns"] = std::move(columns);
    out.push_back(std::move(j));
  }
  return out;
}

OrderedJson AdminService::ListLabels(const std::string& db) {
  std::lock_guard<std::mutex> lock(state_->mu);
  OrderedJson out = OrderedJson::array();
  for (const auto& [label, entry] : state_->labels.List(db)) {
    OrderedJson j;
    j["label"] = label;
    j["txn_id"] = entry.txn_id;
    j["state"] = TxnStateName(entry.state);
    if (!entry.reason.empty()) j["reason"] = entry.reason;
    out.push_back(std::move(j));
  }
  return out;
}

OrderedJson AdminService::Stats() {
  OrderedJson j;
  j["fe_port"] = state_->config.fe_port;
  j["be_port"] = state_->config.be_port;
  j["fe_requests"] = state_->fe_requests.load();
  j["fe_redirects"] = state_->fe_redirects.load();
  j["be_requests"] = state_->be_requests.load();
  return j;
}

void AdminService::Reset() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (TableData* t : state_->catalog.Tables()) t->Clear();
    state_->labels.Clear();
    state_->error_logs.clear();
  }
  state_->faults.Clear();
  state_->log.Clear();
  state_->fe_requests = 0;
  state_->fe_redirects = 0;
  state_->be_requests = 0;
}

void AdminService::Register(httplib::Server& server) {
  using Req = httplib::Request;
  using Res = httplib::Response;
  const std::string table_re = R"(/__emulator/tables/([^/]+)/([^/]+))";

  server.Get("/__emulator/health", [this](const Req&, Res& res) {
    Reply(res, absl::OkStatus(),
          OrderedJson{{"ok", true},
                      {"fe_port", state_->config.fe_port},
                      {"be_port", state_->config.be_port}});
  });
  server.Get("/__emulator/stats",
             [this](const Req&, Res& res) { Reply(res, absl::OkStatus(), Stats()); });
  server.Get("/__emulator/tables",
             [this](const Req&, Res& res) { Reply(res, absl::OkStatus(), ListTables()); });
  server.Post("/__emulator/tables", [this](const Req& req, Res& res) {
    Reply(res, CreateTable(req.body), OrderedJson{{"ok", true}});
  });
  server.Get(table_re, [this](const Req& req, Res& res) {
    auto dump = DumpTable(Param(req, 1), Param(req, 2));
    Reply(res, dump.status(), dump.ok() ? *dump : OrderedJson());
  });
  server.Get(table_re + "/count", [this](const Req& req, Res& res) {
    auto count = RowCount(Param(req, 1), Param(req, 2));
    Reply(res, count.status(), OrderedJson{{"row_count", count.ok() ? *count : 0}});
  });
  server.Get(table_re + "/checksum", [this](const Req& req, Res& res) {
    auto count = RowCount(Param(req, 1), Param(req, 2));
    auto sum = Checksum(Param(req, 1), Param(req, 2));
    Reply(res, sum.status(),
          OrderedJson{{"row_count", count.ok() ? *count : 0}, {"checksum", sum.ok() ? *sum : ""}});
  });
  server.Post(table_re + "/truncate", [this](const Req& req, Res& res) {
    Reply(res, Truncate(Param(req, 1), Param(req, 2)), OrderedJson{{"ok", true}});
  });
  server.Get("/__emulator/loads", [this](const Req& req, Res& res) {
    Reply(res, absl::OkStatus(),
          state_->log.LoadsJson(req.get_param_value("db"), req.get_param_value("table"),
                                req.get_param_value("label")));
  });
  server.Get("/__emulator/fe_requests",
             [this](const Req&, Res& res) { Reply(res, absl::OkStatus(), state_->log.FeJson()); });
  server.Get("/__emulator/faults", [this](const Req&, Res& res) {
    Reply(res, absl::OkStatus(), state_->faults.ToJson());
  });
  server.Post("/__emulator/faults", [this](const Req& req, Res& res) {
    absl::Status st = state_->faults.AddFromJson(req.body);
    Reply(res, st, state_->faults.ToJson());
  });
  server.Delete("/__emulator/faults", [this](const Req&, Res& res) {
    state_->faults.Clear();
    Reply(res, absl::OkStatus(), OrderedJson{{"ok", true}});
  });
  server.Get(R"(/__emulator/labels/([^/]+))", [this](const Req& req, Res& res) {
    Reply(res, absl::OkStatus(), ListLabels(Param(req, 1)));
  });
  server.Post("/__emulator/labels", [this](const Req& req, Res& res) {
    Reply(res, SetLabelState(req.body), OrderedJson{{"ok", true}});
  });
  server.Post("/__emulator/reset", [this](const Req&, Res& res) {
    Reset();
    Reply(res, absl::OkStatus(), OrderedJson{{"ok", true}});
  });
}

}  // namespace dbmazz::starrocks_emulator
