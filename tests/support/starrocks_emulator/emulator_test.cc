// Protocol tests: FE redirect and Expect handling, authorization, statuses,
// labels and get_load_state, and the standalone binary.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/starrocks_emulator/basic_auth.h"
#include "tests/support/starrocks_emulator/emulator_test_util.h"

namespace dbmazz::starrocks_emulator {
namespace {

constexpr char kTwoOrders[] = R"([{"id":1,"name":"a","qty":2},{"id":2,"name":"b","qty":3}])";

TEST_F(EmulatorTest, FeRedirectsWithoutContinueAndBeContinues) {
  // The FE hop alone: 307 straight away, no "100 Continue", body never read.
  RequestOptions fe_only = JsonOptions("r1");
  fe_only.follow_redirects = false;
  HttpResult fe = client_->StreamLoad("shop", "orders", kTwoOrders, fe_only);
  ASSERT_EQ(fe.curl_code, 0) << fe.curl_error;
  EXPECT_EQ(fe.status, 307);
  EXPECT_FALSE(fe.saw_status(100));
  EXPECT_EQ(fe.header("location"), emulator_->be_url() + "/api/shop/orders/_stream_load");
  EXPECT_EQ(fe.header("connection"), "close");
  EXPECT_EQ(fe.body, "");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);

  // Following it: the BE sends 100 Continue, then loads.
  HttpResult r = client_->StreamLoad("shop", "orders", kTwoOrders, JsonOptions("r1"));
  ASSERT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(r.statuses, (std::vector<long>{307, 100, 200}));
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(j["Message"], "OK");
  EXPECT_EQ(j["NumberLoadedRows"], 2);
  EXPECT_EQ(j["LoadBytes"], std::string(kTwoOrders).size());
  EXPECT_GE(j["TxnId"].get<int64_t>(), 0);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 2);

  nlohmann::json stats = GetJson("/__emulator/stats");
  EXPECT_EQ(stats["fe_redirects"], 2);
}

TEST_F(EmulatorTest, QueryStringSurvivesRedirect) {
  RequestOptions o = JsonOptions("q1");
  o.follow_redirects = false;
  HttpResult r = client_->Request("PUT", "/api/shop/orders/_stream_load?x=1&y=2", kTwoOrders, o);
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.header("location"), emulator_->be_url() + "/api/shop/orders/_stream_load?x=1&y=2");
}

TEST_F(EmulatorTest, ResponseKeysAreInStarRocksOrder) {
  HttpResult r = client_->StreamLoad("shop", "orders", kTwoOrders, JsonOptions("order1"));
  const char* keys[] = {"\"TxnId\"",
                        "\"Label\"",
                        "\"Status\"",
                        "\"Message\"",
                        "\"NumberTotalRows\"",
                        "\"NumberLoadedRows\"",
                        "\"NumberFilteredRows\"",
                        "\"NumberUnselectedRows\"",
                        "\"LoadBytes\"",
                        "\"LoadTimeMs\"",
                        "\"BeginTxnTimeMs\"",
                        "\"StreamLoadPlanTimeMs\"",
                        "\"ReadDataTimeMs\"",
                        "\"WriteDataTimeMs\"",
                        "\"CommitAndPublishTimeMs\""};
  size_t pos = 0;
  for (const char* key : keys) {
    size_t found = r.body.find(key);
    ASSERT_NE(found, std::string::npos) << key;
    EXPECT_GT(found, pos) << key << " out of order in " << r.body;
    pos = found;
  }
  EXPECT_EQ(r.body.rfind("{\n    \"TxnId\": ", 0), 0u) << "not pretty-printed: " << r.body;
  EXPECT_EQ(r.body.find("ErrorURL"), std::string::npos);
}

TEST_F(EmulatorTest, FeRequiresExpectContinue) {
  RequestOptions o = JsonOptions("noexpect");
  o.expect_continue = false;
  HttpResult r = client_->StreamLoad("shop", "orders", kTwoOrders, o);
  ASSERT_EQ(r.curl_code, 0) << r.curl_error;
  EXPECT_EQ(r.status, 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Status"], "FAILED");
  EXPECT_EQ(j["Message"],
            "class com.starrocks.common.DdlException: There is no 100-continue header");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
}

TEST_F(EmulatorTest, FeAnswers401OnBadOrMissingCredentials) {
  StreamLoadClient wrong(emulator_->fe_url(), "root", "nope");
  HttpResult r = wrong.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("a1"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Basic realm=\"\"");
  EXPECT_NE(r.body.find("Access denied"), std::string::npos) << r.body;

  StreamLoadClient unknown(emulator_->fe_url(), "ghost", "");
  EXPECT_EQ(unknown.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("a2")).status, 401);

  RequestOptions no_auth = JsonOptions("a3");
  no_auth.send_auth = false;
  r = client_->StreamLoad("shop", "orders", kTwoOrders, no_auth);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Basic realm=\"\"");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
}

TEST_F(EmulatorTest, PasswordMayContainColons) {
  StreamLoadClient loader(emulator_->fe_url(), "loader", "pa:ss:word");
  HttpResult r = loader.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("colon"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["Status"], "Success");
  StreamLoadClient truncated(emulator_->fe_url(), "loader", "pa");
  EXPECT_EQ(truncated.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("c2")).status, 401);
}

TEST_F(EmulatorTest, BeChecksAuthorizationItself) {
  StreamLoadClient be(emulator_->be_url(), "root", "");
  RequestOptions no_auth = JsonOptions("be1");
  no_auth.send_auth = false;
  HttpResult r = be.StreamLoad("shop", "orders", kTwoOrders, no_auth);
  ASSERT_EQ(r.status, 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "no valid Basic authorization");
  EXPECT_EQ(j["TxnId"], -1);
  // Answered before the body: the client never got "100 Continue".
  EXPECT_FALSE(r.saw_status(100));

  StreamLoadClient wrong(emulator_->be_url(), "root", "x");
  j = nlohmann::json::parse(
      wrong.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("be2")).body);
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_NE(j["Message"].get<std::string>().find("Access denied for user 'root'"),
            std::string::npos);

  // A direct BE load with good credentials works (no FE involved).
  j = nlohmann::json::parse(be.StreamLoad("shop", "orders", kTwoOrders, JsonOptions("be3")).body);
  EXPECT_EQ(j["Status"], "Success");
}

TEST_F(EmulatorTest, UnknownDatabaseAndTable) {
  HttpResult r = client_->StreamLoad("nope", "orders", kTwoOrders, JsonOptions("u1"));
  ASSERT_EQ(r.status, 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["Status"], "FAILED");
  EXPECT_NE(j["Message"].get<std::string>().find("unknown database, database=nope"),
            std::string::npos);

  j = Load("nosuch", kTwoOrders, JsonOptions("u2"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "unknown table \"shop.nosuch\"");
  EXPECT_EQ(j["TxnId"], -1);

  StreamLoadClient be(emulator_->be_url(), "root", "");
  j = nlohmann::json::parse(be.StreamLoad("nope", "orders", kTwoOrders, JsonOptions("u3")).body);
  EXPECT_EQ(j["Message"], "unknown database, database=nope");
}

TEST_F(EmulatorTest, LabelReuseAndLoadState) {
  nlohmann::json j = Load("orders", kTwoOrders, JsonOptions("batch-1"));
  ASSERT_EQ(j["Status"], "Success");
  int64_t txn = j["TxnId"];

  j = Load("orders", R"([{"id":9,"qty":1}])", JsonOptions("batch-1"));
  EXPECT_EQ(j["Status"], "Label Already Exists");
  EXPECT_EQ(j["ExistingJobStatus"], "FINISHED");
  EXPECT_EQ(j["Message"], "Label [batch-1] has already been used.");
  EXPECT_EQ(j["TxnId"], -1);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 2);  // Not applied twice.

  // Labels are per database.
  EXPECT_EQ(Load("events", R"([{"id":1}])", JsonOptions("batch-1"))["Status"],
            "Label Already Exists");

  for (const std::string& base : {emulator_->fe_url(), emulator_->be_url()}) {
    StreamLoadClient c(base, "root", "");
    HttpResult s = c.Get("/api/shop/get_load_state?label=batch-1");
    ASSERT_EQ(s.status, 200);
    nlohmann::json state = nlohmann::json::parse(s.body);
    EXPECT_EQ(state["state"], "VISIBLE");
    EXPECT_EQ(state["status"], "OK");
    state = nlohmann::json::parse(c.Get("/api/shop/get_load_state?label=never").body);
    EXPECT_EQ(state["state"], "UNKNOWN");
  }
  nlohmann::json labels = GetJson("/__emulator/labels/shop");
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0]["txn_id"], txn);

  HttpResult bad_db = client_->Get("/api/nope/get_load_state?label=x");
  EXPECT_NE(bad_db.body.find("unknown database, database=nope"), std::string::npos);
  StreamLoadClient anon(emulator_->fe_url(), "root", "bad");
  EXPECT_EQ(anon.Get("/api/shop/get_load_state?label=batch-1").status, 401);
}

TEST_F(EmulatorTest, FailedLabelIsFreeAgain) {
  nlohmann::json j = Load("orders", R"([{"id":"x"}])", JsonOptions("retry-me"));
  ASSERT_EQ(j["Status"], "Fail");
  nlohmann::json state = GetJson("/api/shop/get_load_state?label=retry-me");
  EXPECT_EQ(state["state"], "ABORTED");
  EXPECT_FALSE(state["reason"].get<std::string>().empty());

  j = Load("orders", kTwoOrders, JsonOptions("retry-me"));
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(GetJson("/api/shop/get_load_state?label=retry-me")["state"], "VISIBLE");
}

TEST_F(EmulatorTest, LabelValidationAndGeneratedLabels) {
  nlohmann::json j = Load("orders", kTwoOrders, JsonOptions("bad label!"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "Label format error. regex: ^[-\\w]{1,128}$, label: bad label!");
  j = Load("orders", kTwoOrders, JsonOptions(std::string(129, 'a')));
  EXPECT_EQ(j["Status"], "Fail");
  j = Load("orders", kTwoOrders, JsonOptions(std::string(128, 'a')));
  EXPECT_EQ(j["Status"], "Success");

  j = Load("orders", kTwoOrders, JsonOptions(""));
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(j["Label"].get<std::string>().size(), 36u);  // A generated UUID.
}

TEST_F(EmulatorTest, InvalidBooleanHeadersFail) {
  nlohmann::json j = Load("orders", kTwoOrders, JsonOptions("b1", {{"partial_update", "yes"}}));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_EQ(j["Message"], "Invalid partial update flag format. Must be bool type");
  j = Load("orders", kTwoOrders, JsonOptions("b2", {{"strict_mode", "1"}}));
  EXPECT_EQ(j["Message"], "Invalid strict mode format. Must be bool type");
  j = Load("orders", kTwoOrders, JsonOptions("b3", {{"timeout", "soon"}}));
  EXPECT_EQ(j["Message"], "Invalid timeout format");
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
  // The failed labels were released.
  EXPECT_EQ(Load("orders", kTwoOrders, JsonOptions("b1"))["Status"], "Success");
}

TEST_F(EmulatorTest, FormatHeaders) {
  RequestOptions csv;
  csv.headers = {{"label", "csv1"}};
  nlohmann::json j = Load("orders", "1,a\n", csv);
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_NE(j["Message"].get<std::string>().find("only format=json"), std::string::npos);
  csv.headers = {{"label", "csv2"}, {"format", "parquet"}};
  j = Load("orders", "x", csv);
  EXPECT_EQ(j["Message"], "unknown data format, format=parquet");
}

TEST_F(EmulatorTest, ChunkedBodies) {
  RequestOptions o = JsonOptions("chunked");
  o.chunked = true;
  nlohmann::json j = Load("orders", kTwoOrders, o);
  EXPECT_EQ(j["Status"], "Success");
  EXPECT_EQ(j["LoadBytes"], std::string(kTwoOrders).size());
}

class SmallJsonLimitTest : public EmulatorTest {
 protected:
  void SetUp() override {
    json_size_limit_ = 64;
    EmulatorTest::SetUp();
  }
};

TEST_F(SmallJsonLimitTest, JsonBodiesOverTheLimitNeedIgnoreJsonSize) {
  std::string body = R"([{"id":1,"note":")" + std::string(100, 'x') + R"("}])";
  nlohmann::json j = Load("orders", body, JsonOptions("big"));
  EXPECT_EQ(j["Status"], "Fail");
  EXPECT_NE(j["Message"].get<std::string>().find("exceed the max size [64]"), std::string::npos)
      << j;
  j = Load("orders", body, JsonOptions("big", {{"ignore_json_size", "true"}}));
  EXPECT_EQ(j["Status"], "Success");
}

TEST_F(EmulatorTest, AdminEndpoints) {
  ASSERT_EQ(Load("orders", kTwoOrders, JsonOptions("adm"))["Status"], "Success");
  nlohmann::json count = GetJson("/__emulator/tables/shop/orders/count");
  EXPECT_EQ(count["row_count"], 2);
  nlohmann::json sum1 = GetJson("/__emulator/tables/shop/orders/checksum");
  EXPECT_EQ(sum1["checksum"].get<std::string>().size(), 16u);

  // Same rows loaded into a second table created at run time: same checksum.
  HttpResult created =
      client_->Post("/__emulator/tables", R"json({"database":"shop","name":"orders2",
      "columns":[{"name":"id","type":"BIGINT","not_null":true},{"name":"name","type":"VARCHAR(8)"},
      {"name":"amount","type":"DECIMAL(6,2)"},{"name":"qty","type":"INT","not_null":true,"default":0},
      {"name":"day","type":"DATE"},{"name":"note","type":"STRING"}]})json");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(client_
                ->Post("/__emulator/tables", R"({"database":"shop","name":"orders2",
      "columns":[{"name":"id","type":"INT"}]})")
                .status,
            409);
  ASSERT_EQ(Load("orders2", kTwoOrders, JsonOptions("adm1"))["Status"], "Success");
  EXPECT_EQ(GetJson("/__emulator/tables/shop/orders2/checksum")["checksum"], sum1["checksum"]);
  ASSERT_EQ(Load("orders2", R"([{"id":2,"name":"c","qty":3}])", JsonOptions("adm2"))["Status"],
            "Success");
  EXPECT_NE(GetJson("/__emulator/tables/shop/orders2/checksum")["checksum"], sum1["checksum"]);

  nlohmann::json tables = GetJson("/__emulator/tables");
  EXPECT_EQ(tables.size(), 4u);
  EXPECT_EQ(client_->Get("/__emulator/tables/shop/missing").status, 404);

  nlohmann::json loads = GetJson("/__emulator/loads?table=orders");
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0]["label"], "adm");
  EXPECT_EQ(loads[0]["status"], "Success");
  EXPECT_EQ(loads[0]["headers"]["format"], "json");
  EXPECT_EQ(loads[0]["headers"]["Authorization"], "<redacted>");
  EXPECT_EQ(loads[0]["user"], "root");
  EXPECT_EQ(GetJson("/__emulator/fe_requests").size(), 3u);

  EXPECT_EQ(client_->Post("/__emulator/tables/shop/orders/truncate", "").status, 200);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), 0);
  ASSERT_EQ(client_->Post("/__emulator/reset", "").status, 200);
  EXPECT_EQ(GetJson("/__emulator/loads").size(), 0u);
  EXPECT_EQ(emulator_->RowCount("shop", "orders2").value(), 0);
  // Labels are forgotten too.
  EXPECT_EQ(Load("orders", kTwoOrders, JsonOptions("adm"))["Status"], "Success");
}

TEST_F(EmulatorTest, LoadErrorLogIsServedByTheBe) {
  nlohmann::json j = Load("orders", R"([{"id":1,"qty":1},{"id":2,"qty":null}])",
                          JsonOptions("err", {{"max_filter_ratio", "0.5"}}));
  ASSERT_EQ(j["Status"], "Success");
  ASSERT_TRUE(j.contains("ErrorURL"));
  StreamLoadClient anyone("", "", "");
  HttpResult log = anyone.Get(j["ErrorURL"].get<std::string>());
  EXPECT_EQ(log.status, 200);
  EXPECT_NE(log.body.find("NULL value in non-nullable column 'qty'"), std::string::npos)
      << log.body;
  EXPECT_NE(log.body.find(R"("id":2)"), std::string::npos) << log.body;
}

TEST_F(EmulatorTest, ConcurrentLoads) {
  constexpr int kThreads = 4;
  constexpr int kLoads = 10;
  constexpr int kRowsPerLoad = 50;
  std::vector<std::thread> threads;
  std::atomic<int> successes{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      StreamLoadClient c(emulator_->fe_url(), "root", "");
      for (int l = 0; l < kLoads; ++l) {
        std::string body = "[";
        for (int r = 0; r < kRowsPerLoad; ++r) {
          int id = (t * kLoads + l) * kRowsPerLoad + r;
          absl::StrAppend(&body, r ? "," : "", R"({"id":)", id, R"(,"qty":1})");
        }
        body += "]";
        HttpResult res =
            c.StreamLoad("shop", "orders", body, JsonOptions(absl::StrCat("t", t, "-", l)));
        if (res.body.find("\"Success\"") != std::string::npos) ++successes;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(successes, kThreads * kLoads);
  EXPECT_EQ(emulator_->RowCount("shop", "orders").value(), kThreads * kLoads * kRowsPerLoad);

  // The same label from several clients at once: exactly one load wins.
  std::vector<std::string> statuses(kThreads);
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      StreamLoadClient c(emulator_->fe_url(), "root", "");
      HttpResult res = c.StreamLoad("shop", "events", R"([{"id":1}])", JsonOptions("same"));
      statuses[t] = nlohmann::json::parse(res.body, nullptr, false).value("Status", "?");
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "Success"), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "Label Already Exists"), kThreads - 1);
  EXPECT_EQ(emulator_->RowCount("shop", "events").value(), 1);
}

// Runs the real binary: port line on stdout, a request, SIGTERM.
TEST(StandaloneBinaryTest, StartsServesAndStopsOnSigterm) {
  char dir_template[] = "/tmp/sr_emulator_testXXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string dir = dir_template;
  std::string schema_path = dir + "/schema.yaml";
  FILE* f = std::fopen(schema_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(kTestSchema, f);
  std::fclose(f);

  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    std::string port_file = dir + "/ports.json";
    execl(STARROCKS_EMULATOR_BINARY, "starrocks_emulator", "--schema", schema_path.c_str(),
          "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out_pipe[1]);
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out_pipe[0]);
  nlohmann::json ports = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(ports.is_object()) << "port line: '" << line << "'";
  int fe_port = ports["fe_port"];
  int be_port = ports["be_port"];
  EXPECT_GT(fe_port, 0);
  EXPECT_GT(be_port, 0);
  EXPECT_NE(fe_port, be_port);

  FILE* pf = std::fopen((dir + "/ports.json").c_str(), "r");
  ASSERT_NE(pf, nullptr);
  char buf[128] = {};
  ASSERT_NE(std::fgets(buf, sizeof(buf), pf), nullptr);
  std::fclose(pf);
  EXPECT_EQ(nlohmann::json::parse(buf)["fe_port"], fe_port);

  StreamLoadClient client("http://127.0.0.1:" + std::to_string(fe_port), "root", "");
  RequestOptions o;
  o.headers = {{"format", "json"}, {"strip_outer_array", "true"}, {"label", "bin1"}};
  HttpResult r = client.StreamLoad("shop", "orders", kTwoOrders, o);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["Status"], "Success") << r.body;
  nlohmann::json count =
      nlohmann::json::parse(client.Get("/__emulator/tables/shop/orders/count").body);
  EXPECT_EQ(count["row_count"], 2);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::remove(schema_path.c_str());
  std::remove((dir + "/ports.json").c_str());
  rmdir(dir.c_str());
}

TEST(StandaloneBinaryTest, RejectsABadSchema) {
  char path[] = "/tmp/sr_emulator_badXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string bad =
      "databases:\n  - name: d\n    tables:\n      - name: t\n        columns:\n"
      "          - {name: a, type: NOTATYPE}\n";
  ASSERT_EQ(write(fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  close(fd);
  std::string cmd = std::string(STARROCKS_EMULATOR_BINARY) + " --schema " + path + " 2>/dev/null";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::remove(path);
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator
