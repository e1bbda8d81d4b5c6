// A protocol-faithful StarRocks FE + BE pair for tests, benchmarks and demos:
// Stream Load over HTTP (FE 307 redirect, BE load), labels, get_load_state,
// test-observability endpoints and fault injection. See
// docs/starrocks-emulator.md.
//
// Usage (in-process):
//   EmulatorOptions options;
//   options.schema = *ParseSchema(yaml);
//   auto emulator = StarRocksEmulator::Start(std::move(options));
//   ... PUT http://127.0.0.1:<(*emulator)->fe_port()>/api/db/t/_stream_load ...
//
// Thread-safety: all methods are thread-safe. Stop() (also run by the
// destructor) waits for in-flight requests.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/starrocks_emulator/admin_service.h"
#include "tests/support/starrocks_emulator/be_service.h"
#include "tests/support/starrocks_emulator/common_api.h"
#include "tests/support/starrocks_emulator/emulator_state.h"
#include "tests/support/starrocks_emulator/fe_service.h"
#include "tests/support/starrocks_emulator/http_util.h"
#include "tests/support/starrocks_emulator/load_executor.h"
#include "tests/support/starrocks_emulator/schema.h"

namespace dbmazz::starrocks_emulator {

struct EmulatorOptions {
  std::string host = "127.0.0.1";  // Address both servers bind to.
  int fe_port = 0;                 // 0: pick a free port.
  int be_port = 0;
  // Host written into redirects and ErrorURLs; "" means `host`, or 127.0.0.1
  // when `host` is a wildcard address.
  std::string advertised_host;
  EmulatorSchema schema;                            // Empty: user root (no password), no databases.
  int64_t json_size_limit = kDefaultJsonSizeLimit;  // Bytes; without ignore_json_size.
  int fe_threads = 8;
  int be_threads = 16;  // Concurrent BE connections (each keep-alive holds one).
  int keep_alive_timeout_s = 5;
};

class StarRocksEmulator {
 public:
  // Binds both ports and starts serving. InvalidArgument for a bad schema,
  // Unavailable if a port cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StarRocksEmulator>> Start(
      EmulatorOptions options);

  ~StarRocksEmulator();
  StarRocksEmulator(const StarRocksEmulator&) = delete;
  StarRocksEmulator& operator=(const StarRocksEmulator&) = delete;

  // Stops both servers and joins their threads. Idempotent.
  void Stop();

  [[nodiscard]] int fe_port() const { return state_->config.fe_port; }
  [[nodiscard]] int be_port() const { return state_->config.be_port; }
  [[nodiscard]] std::string fe_url() const;  // "http://<advertised host>:<fe port>"
  [[nodiscard]] std::string be_url() const;

  // The same operations as the admin endpoints.
  [[nodiscard]] absl::StatusOr<nlohmann::ordered_json> DumpTable(const std::string& db,
                                                                 const std::string& table);
  [[nodiscard]] absl::StatusOr<int64_t> RowCount(const std::string& db, const std::string& table);
  [[nodiscard]] absl::StatusOr<std::string> Checksum(const std::string& db,
                                                     const std::string& table);
  [[nodiscard]] absl::Status CreateTable(std::string_view spec);
  [[nodiscard]] absl::Status AddFaults(std::string_view json);
  [[nodiscard]] absl::Status SetLabelState(std::string_view json);
  [[nodiscard]] std::vector<LoadRecord> Loads() const;
  void Reset();

  // Direct access to the shared state (lock EmulatorState::mu as documented).
  [[nodiscard]] EmulatorState& state() { return *state_; }

 private:
  StarRocksEmulator();

  std::unique_ptr<EmulatorState> state_;
  LoadExecutor executor_;
  FeService fe_service_;
  BeService be_service_;
  CommonApi common_api_;
  AdminService admin_;
  HttpServer fe_server_;
  HttpServer be_server_;
  std::thread fe_thread_;
  std::thread be_thread_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_H_
