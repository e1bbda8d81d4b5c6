#include "tests/support/starrocks_emulator/be_service.h"

#include <regex>
#include <string>

#include "tests/support/starrocks_emulator/http_util.h"
#include "tests/support/starrocks_emulator/load_response.h"

namespace dbmazz::starrocks_emulator {
namespace {

const std::regex& StreamLoadPath() {
  static const std::regex re(R"(^/api/([^/]+)/([^/]+)/_stream_load$)");
  return re;
}

LoadRequest ToLoadRequest(const httplib::Request& req) {
  std::smatch m;
  std::regex_match(req.path, m, StreamLoadPath());
  return MakeLoadRequest(req, httplib::detail::decode_url(m[1].str(), false),
                         httplib::detail::decode_url(m[2].str(), false));
}

}  // namespace

int BeService::Respond(const httplib::Request& req, httplib::Response& res,
                       const LoadOutcome& outcome) {
  switch (outcome.kind) {
    case LoadOutcome::Kind::kRespond:
      SetJson(res, 200, RenderStreamLoadResult(outcome.result));
      return 200;
    case LoadOutcome::Kind::kHttpError:
      res.status = outcome.http_status;
      res.set_content(outcome.http_body, "text/plain");
      return outcome.http_status;
    case LoadOutcome::Kind::kDrop:
      DropConnection(req);
      res.status = 500;
      res.set_header("Connection", "close");
      return 500;
  }
  return 500;
}

void BeService::Register(httplib::Server& server) {
  server.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (req.method != "PUT" || !std::regex_match(req.path, StreamLoadPath())) return 100;
        auto outcome = executor_->PreCheck(ToLoadRequest(req));
        if (!outcome) return 100;
        // Answered before the body, as the BE does for header errors; the
        // connection is closed afterwards.
        int status = Respond(req, res, *outcome);
        if (outcome->kind != LoadOutcome::Kind::kDrop) AnswerAndClose(req, res);
        return status;
      });

  server.Put(R"(/api/([^/]+)/([^/]+)/_stream_load)",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& content_reader) {
               LoadRequest request = ToLoadRequest(req);
               bool read_once = false;
               auto read_body = [&](std::string* body) {
                 if (read_once) return true;
                 read_once = true;
                 if (request.content_length && *request.content_length > 0) {
                   body->reserve(static_cast<size_t>(*request.content_length));
                 }
                 return content_reader([body](const char* data, size_t len) {
                   body->append(data, len);
                   return true;
                 });
               };
               LoadOutcome outcome = executor_->Execute(request, read_body, ExpectsContinue(req));
               Respond(req, res, outcome);
             });

  server.Get("/api/_load_error_log", [this](const httplib::Request& req, httplib::Response& res) {
    std::string file = req.get_param_value("file");
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->error_logs.find(file);
    if (it == state_->error_logs.end()) {
      res.status = 404;
      res.set_content("error log not found\n", "text/plain");
      return;
    }
    res.set_content(it->second, "text/plain");
  });
}

}  // namespace dbmazz::starrocks_emulator
