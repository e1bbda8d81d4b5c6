// The BE's HTTP endpoints: PUT /api/{db}/{table}/_stream_load (answers header
// errors before "100 Continue", then reads the body and loads it) and
// GET /api/_load_error_log?file=... for ErrorURLs.
//
// Thread-safety: handlers run concurrently on httplib's pool.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BE_SERVICE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BE_SERVICE_H_

#include <httplib.h>

#include "tests/support/starrocks_emulator/emulator_state.h"
#include "tests/support/starrocks_emulator/load_executor.h"

namespace dbmazz::starrocks_emulator {

class BeService {
 public:
  // `state` and `executor` must outlive the service.
  BeService(EmulatorState* state, LoadExecutor* executor) : state_(state), executor_(executor) {}

  void Register(httplib::Server& server);

 private:
  // Writes `outcome` into `res` (or drops the connection); returns the status.
  int Respond(const httplib::Request& req, httplib::Response& res, const LoadOutcome& outcome);

  EmulatorState* state_;
  LoadExecutor* executor_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_BE_SERVICE_H_
