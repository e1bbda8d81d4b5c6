// Endpoints both the FE and the BE port serve: GET /api/{db}/get_load_state
// and GET /api/health.
//
// Thread-safety: handlers run concurrently; shared state is in EmulatorState.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COMMON_API_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COMMON_API_H_

#include <httplib.h>

#include "tests/support/starrocks_emulator/emulator_state.h"

namespace dbmazz::starrocks_emulator {

class CommonApi {
 public:
  // `state` must outlive the object.
  explicit CommonApi(EmulatorState* state) : state_(state) {}

  void Register(httplib::Server& server);

 private:
  void GetLoadState(const httplib::Request& req, httplib::Response& res);

  EmulatorState* state_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_COMMON_API_H_
