// The FE's HTTP endpoints: PUT /api/{db}/{table}/_stream_load (auth, the
// Expect: 100-continue requirement, 307 to the BE without reading the body)
// and GET /api/{db}/get_load_state.
//
// Thread-safety: handlers run concurrently on httplib's pool; all shared state
// is in EmulatorState.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FE_SERVICE_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FE_SERVICE_H_

#include <httplib.h>

#include "tests/support/starrocks_emulator/emulator_state.h"

namespace dbmazz::starrocks_emulator {

class FeService {
 public:
  // `state` must outlive the service.
  explicit FeService(EmulatorState* state) : state_(state) {}

  // Installs the routes and the Expect: 100-continue hook. The FE server must
  // close connections after each request (keep-alive max count 1), as the
  // real FE does for loads.
  void Register(httplib::Server& server);

 private:
  // Answers a stream load request; returns the HTTP status, or 0 if the
  // connection was dropped (fault).
  int HandleStreamLoad(const httplib::Request& req, httplib::Response& res, bool expect_continue);

  EmulatorState* state_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_FE_SERVICE_H_
