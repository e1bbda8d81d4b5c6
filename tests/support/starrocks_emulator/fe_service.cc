#include "tests/support/starrocks_emulator/fe_service.h"

#include <chrono>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/basic_auth.h"
#include "tests/support/starrocks_emulator/http_util.h"
#include "tests/support/starrocks_emulator/load_response.h"

namespace dbmazz::starrocks_emulator {
namespace {

const std::regex& StreamLoadPath() {
  static const std::regex re(R"(^/api/([^/]+)/([^/]+)/_stream_load$)");
  return re;
}

constexpr int kDropped = 0;  // HandleStreamLoad: the connection was dropped.

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int FeService::HandleStreamLoad(const httplib::Request& req, httplib::Response& res,
                                bool expect_continue) {
  state_->fe_requests++;
  std::smatch m;
  std::regex_match(req.path, m, StreamLoadPath());
  std::string db = httplib::detail::decode_url(m[1].str(), false);
  std::string table = httplib::detail::decode_url(m[2].str(), false);
  std::string label = req.get_header_value("label");

  FeRecord record;
  record.unix_ms = UnixMs();
  record.method = req.method;
  record.target = req.target;
  record.label = label;
  record.expect_100_continue = expect_continue;
  auto finish = [&](int status) {
    record.http_status = status;
    record.location = res.get_header_value("Location");
    state_->log.AddFe(record);
    return status;
  };

  int64_t delay = state_->faults.TakeDelay(FaultTarget::kFe, FaultPhase::kHeader, db, table, label);
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  if (auto rule =
          state_->faults.TakeAction(FaultTarget::kFe, FaultPhase::kHeader, db, table, label)) {
    switch (rule->action) {
      case FaultAction::kHttpError:
        record.fault = "http_error";
        res.status = rule->http_status;
        res.set_content(rule->body, "text/plain");
        return finish(rule->http_status);
      case FaultAction::kDrop:
        record.fault = "drop";
        DropConnection(req);
        finish(0);
        return kDropped;
      default:
        record.fault = "fail";
        SetJson(res, 200, RenderFeLoadFailure(rule->message));
        return finish(200);
    }
  }

  auto auth = ParseBasicAuth(req.get_header_value("Authorization"));
  bool authenticated = false;
  if (auth) {
    std::lock_guard<std::mutex> lock(state_->mu);
    authenticated = state_->catalog.Authenticate(auth->user, auth->password);
  }
  if (!authenticated) {
    std::string message =
        auth ? absl::StrCat("Access denied for user '", auth->user, "'@'", req.remote_addr,
                            "' (using password: ", auth->password.empty() ? "NO" : "YES", ")")
             : "Need auth information.";
    res.set_header("WWW-Authenticate", "Basic realm=\"\"");
    SetJson(res, 401, RenderRestFailure(message));
    return finish(401);
  }
  // HTTP/1.0 clients cannot send Expect; the FE skips the check for them.
  if (!expect_continue && req.version != "HTTP/1.0") {
    SetJson(res, 200, RenderFeLoadFailure("There is no 100-continue header"));
    return finish(200);
  }
  bool db_exists;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    db_exists = state_->catalog.HasDatabase(db);
  }
  if (!db_exists) {
    SetJson(res, 200, RenderFeLoadFailure(absl::StrCat("unknown database, database=", db)));
    return finish(200);
  }
  state_->fe_redirects++;
  res.status = 307;
  res.set_header("Location", absl::StrCat("http://", state_->config.advertised_host, ":",
                                          state_->config.be_port, req.target));
  return finish(307);
}

void FeService::Register(httplib::Server& server) {
  server.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        // Answer before the body is sent, as the real FE does. Other requests
        // (the admin API) continue normally.
        if (req.method == "PUT" && std::regex_match(req.path, StreamLoadPath())) {
          int status = HandleStreamLoad(req, res, /*expect_continue=*/true);
          if (status == kDropped) return 500;  // The socket is already shut down.
          AnswerAndClose(req, res);
          return status;
        }
        return 100;
      });
  server.Put(R"(/api/([^/]+)/([^/]+)/_stream_load)",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& content_reader) {
               // No Expect header: the client is already sending the body.
               // Drain it so the answer is not lost to a reset connection.
               content_reader([](const char*, size_t) { return true; });
               HandleStreamLoad(req, res, /*expect_continue=*/false);
             });
}

}  // namespace dbmazz::starrocks_emulator
