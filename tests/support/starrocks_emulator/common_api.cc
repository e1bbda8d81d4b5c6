#include "tests/support/starrocks_emulator/common_api.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/basic_auth.h"
#include "tests/support/starrocks_emulator/http_util.h"
#include "tests/support/starrocks_emulator/load_response.h"

namespace dbmazz::starrocks_emulator {

void CommonApi::GetLoadState(const httplib::Request& req, httplib::Response& res) {
  std::string db = httplib::detail::decode_url(req.matches[1].str(), false);
  std::string label = req.get_param_value("label");
  auto auth = ParseBasicAuth(req.get_header_value("Authorization"));
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!auth || !state_->catalog.Authenticate(auth->user, auth->password)) {
    std::string message =
        auth ? absl::StrCat("Access denied for user '", auth->user, "'@'", req.remote_addr,
                            "' (using password: ", auth->password.empty() ? "NO" : "YES", ")")
             : "Need auth information.";
    res.set_header("WWW-Authenticate", "Basic realm=\"\"");
    SetJson(res, 401, RenderRestFailure(message));
    return;
  }
  if (label.empty()) {
    SetJson(res, 200, RenderRestFailure("No label selected."));
    return;
  }
  if (!state_->catalog.HasDatabase(db)) {
    SetJson(res, 200, RenderRestFailure(absl::StrCat("unknown database, database=", db)));
    return;
  }
  LabelRegistry::Entry entry = state_->labels.Lookup(db, label);
  SetJson(res, 200, RenderLoadState(TxnStateName(entry.state), entry.reason));
}

void CommonApi::Register(httplib::Server& server) {
  server.Get(
      R"(/api/([^/]+)/get_load_state)",
      [this](const httplib::Request& req, httplib::Response& res) { GetLoadState(req, res); });
  server.Get("/api/health", [](const httplib::Request&, httplib::Response& res) {
    SetJson(res, 200, R"({"status": "OK","msg": "To Be Added"})");
  });
}

}  // namespace dbmazz::starrocks_emulator
