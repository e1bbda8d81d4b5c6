// Everything the emulator's FE, BE and admin endpoints share.
//
// Thread-safety: `mu` guards catalog, labels, error_logs and next_txn_id (and
// the rows inside the catalog's tables). faults and log lock themselves;
// counters are atomic; config is written before the servers start.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_STATE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_STATE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tests/support/starrocks_emulator/catalog.h"
#include "tests/support/starrocks_emulator/fault_injector.h"
#include "tests/support/starrocks_emulator/label_registry.h"
#include "tests/support/starrocks_emulator/load_log.h"
#include "tests/support/starrocks_emulator/load_options.h"

namespace dbmazz::starrocks_emulator {

struct EmulatorConfig {
  std::string advertised_host = "127.0.0.1";  // Host in redirects and ErrorURLs.
  int fe_port = 0;
  int be_port = 0;
  int64_t json_size_limit = kDefaultJsonSizeLimit;
};

struct EmulatorState {
  EmulatorConfig config;

  std::mutex mu;
  Catalog catalog;
  LabelRegistry labels;
  std::map<std::string, std::string> error_logs;  // file name -> text.
  int64_t next_txn_id = 1000;

  FaultInjector faults;
  LoadLog log;

  std::atomic<int64_t> fe_requests{0};
  std::atomic<int64_t> fe_redirects{0};
  std::atomic<int64_t> be_requests{0};
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_EMULATOR_STATE_H_
