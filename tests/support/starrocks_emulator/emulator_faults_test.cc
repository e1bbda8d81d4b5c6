// Fault injection: retryable and permanent failures, Publish Timeout, HTTP
// errors, delays, dropped connections and held labels.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/emulator_test_util.h"

namespace dbmazz::starrocks_emulator {
namespace {

constexpr char kRow[] = R"([{"id":1,"qty":1}])";

class FaultTest : public EmulatorTest {
 protected:
  void AddFault(const std::string& json) {
    HttpResult r = client_->Post("/__emulator/faults", json);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string State(const std::string& label) {
    return GetJson("/api/shop/get_load_state?label=" + label)["state"];
  }
};

TEST_F(FaultTest, FailNextLoadsWithARetryableMessage) {
  AddFault(R"({"action":"fail","preset":"too_many_versions","count":2})");
  for (int i = 0; i < 2; ++i) {
    nlohmann::json j = Load("orders", kRow, JsonOptions("tmv"));
    EXPECT_EQ(j["Status"], "Fail");
    EXPECT_NE(j["Message"].get<std::string>().find("too many versions"), std::string::npos);
    EXPECT_GE(j["TxnId"].get<int64_t>(), 0);  // Failed after the transaction began.
    EXPECT_EQ(State("tmv"), "ABORTED");
  }
  // The third attempt with the same label goes through.
  EXPECT_EQ(Load("orders", kRow, JsonOptions("tmv"))["Status"], "Success");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 1);
  nlohmann::json faults = GetJson("/__emulator/faults");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]["fired"], 2);
  EXPECT_EQ(faults[0]["remaining"], 0);
}

TEST_F(FaultTest, HeaderPhaseFailuresHaveNoTransaction) {
  AddFault(
      R"({"action":"fail","phase":"header","message":"Service is shutting down, please retry later!"})");
  nlohmann::json j = Load("orders", kRow, JsonOptions("sd"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "Service is shutting down, please retry later!");
  EXPECT_EQ(j["TxnId"], -1);
  EXPECT_EQ(State("sd"), "UNKNOWN");
}

TEST_F(FaultTest, PermanentFailureAndTargeting) {
  AddFault(R"({"action":"fail","preset":"access_denied","table":"events","count":-1})");
  EXPECT_EQ(Load("orders", kRow, JsonOptions("o1"))["Status"], "Success");
  for (int i = 0; i < 3; ++i) {
    nlohmann::json j = Load("events", kRow, JsonOptions(absl::StrCat("e", i)));
    EXPECT_EQ(j["Status"], "Fail");
    EXPECT_NE(j["Message"].get<std::string>().find("Access denied"), std::string::npos);
  }
  ASSERT_EQ(client_->Request("DELETE", "/__emulator/faults", "").status, 200);
  EXPECT_EQ(Load("events", kRow, JsonOptions("e9"))["Status"], "Success");
}

TEST_F(FaultTest, PublishTimeoutAppliesTheData) {
  AddFault(R"({"action":"publish_timeout","visible_after_ms":300})");
  nlohmann::json j = Load("orders", kRow, JsonOptions("pt"));
  EXPECT_EQ(j["Status"], "Publish Timeout");
  EXPECT_EQ(j["Message"], "transaction commit successfully, BUT data will be visible later");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 1);
  EXPECT_EQ(State("pt"), "COMMITTED");
  // A retry with the same label is refused as already finished.
  j = Load("orders", kRow, JsonOptions("pt"));
  EXPECT_EQ(j["Status"], "Label Already Exists");
  EXPECT_EQ(j["ExistingJobStatus"], "FINISHED");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(State("pt"), "VISIBLE");
}

TEST_F(FaultTest, HttpErrorsFromBeAndFe) {
  AddFault(R"({"action":"http_error","status":503,"body":"busy"})");
  HttpResult r = client_->StreamLoad("shop", "orders", kRow, JsonOptions("h1"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "busy");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);

  AddFault(R"({"action":"http_error","status":500,"phase":"after_apply"})");
  r = client_->StreamLoad("shop", "orders", kRow, JsonOptions("h2"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 1);  // Applied anyway.
  EXPECT_EQ(State("h2"), "VISIBLE");

  AddFault(R"({"action":"http_error","target":"fe","status":502})");
  r = client_->StreamLoad("shop", "orders", kRow, JsonOptions("h3"));
  EXPECT_EQ(r.status, 502);
  EXPECT_FALSE(r.saw_status(307));

  AddFault(R"({"action":"fail","target":"fe","message":"No backend alive."})");
  r = client_->StreamLoad("shop", "orders", kRow, JsonOptions("h4"));
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Status"], "FAILED");
  EXPECT_EQ(j["Message"], "class com.starrocks.common.DdlException: No backend alive.");
}

TEST_F(FaultTest, DropBeforeApplyLeavesTheLabelFree) {
  AddFault(R"({"action":"drop","phase":"before_apply"})");
  HttpResult r = client_->StreamLoad("shop", "orders", kRow, JsonOptions("d1"));
  EXPECT_NE(r.curl_code, 0) << "expected a connection error, got HTTP " << r.status;
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
  EXPECT_EQ(State("d1"), "ABORTED");
  EXPECT_EQ(Load("orders", kRow, JsonOptions("d1"))["Status"], "Success");
}

TEST_F(FaultTest, DropAfterApplyMakesTheRetryIdempotent) {
  AddFault(R"({"action":"drop","phase":"after_apply"})");
  HttpResult r = client_->StreamLoad("shop", "orders", R"([{"id":1,"qty":1},{"id":2,"qty":2}])",
                                     JsonOptions("d2"));
  EXPECT_NE(r.curl_code, 0);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 2);
  EXPECT_EQ(State("d2"), "VISIBLE");
  nlohmann::json j = Load("orders", R"([{"id":1,"qty":1},{"id":2,"qty":2}])", JsonOptions("d2"));
  EXPECT_EQ(j["Status"], "Label Already Exists");
  EXPECT_EQ(j["ExistingJobStatus"], "FINISHED");
  std::vector<LoadRecord> loads = emulator_->Loads();
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0].status, "DROPPED");
  EXPECT_TRUE(loads[0].applied);
  EXPECT_EQ(loads[1].status, "Label Already Exists");
}

TEST_F(FaultTest, DropAtTheFeAndBeforeTheBody) {
  AddFault(R"({"action":"drop","target":"fe"})");
  EXPECT_NE(client_->StreamLoad("shop", "orders", kRow, JsonOptions("d3")).curl_code, 0);
  AddFault(R"({"action":"drop","phase":"header"})");
  EXPECT_NE(client_->StreamLoad("shop", "orders", kRow, JsonOptions("d3")).curl_code, 0);
  EXPECT_EQ(State("d3"), "UNKNOWN");
  EXPECT_EQ(Load("orders", kRow, JsonOptions("d3"))["Status"], "Success");
}

TEST_F(FaultTest, DelayHoldsTheLabelAsRunning) {
  AddFault(R"({"action":"delay","delay_ms":1500,"label":"slow"})");
  auto slow = std::async(std::launch::async, [&] {
    StreamLoadClient c(emulator_->fe_url(), "root", "");
    return c.StreamLoad("shop", "orders", kRow, JsonOptions("slow"));
  });
  // Wait until the slow load holds its label.
  for (int i = 0; i < 100 && State("slow") != "PREPARE"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(State("slow"), "PREPARE");
  nlohmann::json j = Load("orders", kRow, JsonOptions("slow"));
  EXPECT_EQ(j["Status"], "Label Already Exists");
  EXPECT_EQ(j["ExistingJobStatus"], "RUNNING");
  HttpResult first = slow.get();
  EXPECT_EQ(nlohmann::json::parse(first.body)["Status"], "Success");
  EXPECT_EQ(State("slow"), "VISIBLE");
}

TEST_F(FaultTest, LoadsOutlivingTheirTimeoutAreAborted) {
  AddFault(R"({"action":"delay","delay_ms":1200})");
  nlohmann::json j = Load("orders", kRow, JsonOptions("late", {{"timeout", "1"}}));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_NE(j["Message"].get<std::string>().find("timeout by txn manager"), std::string::npos);
  EXPECT_EQ(State("late"), "ABORTED");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
}

TEST_F(FaultTest, ForcedLabelStates) {
  HttpResult r = client_->Post(
      "/__emulator/labels",
      R"({"db":"shop","label":"held","state":"PREPARE","duration_ms":300,"then":"ABORTED"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(State("held"), "PREPARE");
  nlohmann::json j = Load("orders", kRow, JsonOptions("held"));
  EXPECT_EQ(j["Status"], "Label Already Exists");
  EXPECT_EQ(j["ExistingJobStatus"], "RUNNING");
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(State("held"), "ABORTED");
  EXPECT_EQ(Load("orders", kRow, JsonOptions("held"))["Status"], "Success");

  EXPECT_EQ(
      client_->Post("/__emulator/labels", R"({"db":"shop","label":"x","state":"NOPE"})").status,
      400);
}

TEST_F(FaultTest, RejectsMalformedFaults) {
  EXPECT_EQ(client_->Post("/__emulator/faults", R"({"action":"explode"})").status, 400);
  EXPECT_EQ(client_->Post("/__emulator/faults", R"({"action":"fail","count":0})").status, 400);
  EXPECT_EQ(client_->Post("/__emulator/faults", "not json").status, 400);
  EXPECT_EQ(client_
                ->Post("/__emulator/faults",
                       R"([{"action":"fail"},{"action":"publish_timeout","target":"fe"}])")
                .status,
            400);
  EXPECT_EQ(GetJson("/__emulator/faults").size(), 0u);  // All or nothing.
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
