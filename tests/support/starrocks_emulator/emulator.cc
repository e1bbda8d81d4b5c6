#include "tests/support/starrocks_emulator/emulator.h"

#include <chrono>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dbmazz::starrocks_emulator {
namespace {

void ConfigureServer(HttpServer& server, int threads, size_t keep_alive_max, int keep_alive_s) {
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_max_count(keep_alive_max);
  server.set_keep_alive_timeout(keep_alive_s);
  server.set_read_timeout(60, 0);
  server.set_write_timeout(60, 0);
  server.set_tcp_nodelay(true);
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(nlohmann::json{{"error", what}}.dump(), "application/json");
      });
}

absl::StatusOr<int> Bind(HttpServer& server, const std::string& host, int port) {
  if (port == 0) {
    int bound = server.bind_to_any_port(host);
    if (bound <= 0) return absl::UnavailableError(absl::StrCat("cannot bind ", host, ":0"));
    return bound;
  }
  if (!server.bind_to_port(host, port)) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", host, ":", port));
  }
  return port;
}

}  // namespace

StarRocksEmulator::StarRocksEmulator()
    : state_(std::make_unique<EmulatorState>()),
      executor_(state_.get()),
      fe_service_(state_.get()),
      be_service_(state_.get(), &executor_),
      common_api_(state_.get()),
      admin_(state_.get()) {}

absl::StatusOr<std::unique_ptr<StarRocksEmulator>> StarRocksEmulator::Start(
    EmulatorOptions options) {
  std::unique_ptr<StarRocksEmulator> emu(new StarRocksEmulator());
  EmulatorConfig& config = emu->state_->config;
  config.json_size_limit = options.json_size_limit;
  config.advertised_host = options.advertised_host;
  if (config.advertised_host.empty()) {
    config.advertised_host =
        (options.host == "0.0.0.0" || options.host == "::" || options.host.empty()) ? "127.0.0.1"
                                                                                    : options.host;
  }
  if (options.schema.users.empty()) options.schema.users.push_back(UserSpec{"root", ""});
  if (absl::Status st = emu->state_->catalog.Load(options.schema); !st.ok()) return st;

  // The FE closes every connection after one request, like the real FE does
  // for loads (and so the body of a redirected request is never read).
  ConfigureServer(emu->fe_server_, options.fe_threads, 1, options.keep_alive_timeout_s);
  ConfigureServer(emu->be_server_, options.be_threads, 1000, options.keep_alive_timeout_s);
  emu->fe_service_.Register(emu->fe_server_);
  emu->common_api_.Register(emu->fe_server_);
  emu->admin_.Register(emu->fe_server_);
  emu->be_service_.Register(emu->be_server_);
  emu->common_api_.Register(emu->be_server_);

  auto fe_port = Bind(emu->fe_server_, options.host, options.fe_port);
  if (!fe_port.ok()) return fe_port.status();
  auto be_port = Bind(emu->be_server_, options.host, options.be_port);
  if (!be_port.ok()) return be_port.status();
  config.fe_port = *fe_port;
  config.be_port = *be_port;
  emu->fe_server_.RaiseListenBacklog(512);
  emu->be_server_.RaiseListenBacklog(512);

  emu->fe_thread_ = std::thread([server = &emu->fe_server_] { server->listen_after_bind(); });
  emu->be_thread_ = std::thread([server = &emu->be_server_] { server->listen_after_bind(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(emu->fe_server_.is_running() && emu->be_server_.is_running())) {
    if (std::chrono::steady_clock::now() > deadline) {
      emu->Stop();
      return absl::UnavailableError("the emulator's servers did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return emu;
}

StarRocksEmulator::~StarRocksEmulator() { Stop(); }

void StarRocksEmulator::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  fe_server_.stop();
  be_server_.stop();
  // Idle keep-alive connections would hold the worker threads for up to the
  // keep-alive timeout.
  ShutdownAcceptedConnections(state_->config.fe_port);
  ShutdownAcceptedConnections(state_->config.be_port);
  if (fe_thread_.joinable()) fe_thread_.join();
  if (be_thread_.joinable()) be_thread_.join();
}

std::string StarRocksEmulator::fe_url() const {
  return absl::StrCat("http://", state_->config.advertised_host, ":", fe_port());
}

std::string StarRocksEmulator::be_url() const {
  return absl::StrCat("http://", state_->config.advertised_host, ":", be_port());
}

absl::StatusOr<nlohmann::ordered_json> StarRocksEmulator::DumpTable(const std::string& db,
                                                                    const std::string& table) {
  return admin_.DumpTable(db, table);
}

absl::StatusOr<int64_t> StarRocksEmulator::RowCount(const std::string& db,
                                                    const std::string& table) {
  return admin_.RowCount(db, table);
}

absl::StatusOr<std::string> StarRocksEmulator::Checksum(const std::string& db,
                                                        const std::string& table) {
  return admin_.Checksum(db, table);
}

absl::Status StarRocksEmulator::CreateTable(std::string_view spec) {
  return admin_.CreateTable(spec);
}

absl::Status StarRocksEmulator::AddFaults(std::string_view json) {
  return state_->faults.AddFromJson(json);
}

absl::Status StarRocksEmulator::SetLabelState(std::string_view json) {
  return admin_.SetLabelState(json);
}

std::vector<LoadRecord> StarRocksEmulator::Loads() const { return state_->log.Loads(); }

void StarRocksEmulator::Reset() { admin_.Reset(); }

}  // namespace dbmazz::starrocks_emulator
