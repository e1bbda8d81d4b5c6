// Runs Stream Loads against the emulator's state, step by step as a StarRocks
// BE does: authorization and header checks, begin transaction (label
// reservation), planning, reading and converting the body, the filter ratio
// check, and an atomic commit. Fault rules fire at the matching step.
//
// Thread-safety: thread-safe; many loads may run at once. Conversion runs
// outside EmulatorState::mu; label changes and the commit run under it.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_EXECUTOR_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_EXECUTOR_H_

#include <functional>
#include <optional>
#include <string>

#include "tests/support/starrocks_emulator/emulator_state.h"
#include "tests/support/starrocks_emulator/load_request.h"
#include "tests/support/starrocks_emulator/load_response.h"
#include "tests/support/starrocks_emulator/row_converter.h"

namespace dbmazz::starrocks_emulator {

struct LoadOutcome {
  enum class Kind {
    kRespond,    // HTTP 200 with the Stream Load JSON of `result`.
    kHttpError,  // HTTP `http_status` with `http_body` (fault).
    kDrop,       // Close the connection without answering (fault or broken body).
  };
  Kind kind = Kind::kRespond;
  LoadResult result;
  int http_status = 200;
  std::string http_body;
};

class LoadExecutor {
 public:
  // Reads the whole body into *body; false if the connection broke.
  using BodyReader = std::function<bool(std::string* body)>;

  // `state` must outlive the executor.
  explicit LoadExecutor(EmulatorState* state);

  // The checks a BE makes from the headers alone, without side effects other
  // than consuming header-phase faults and logging a rejected load. Returns an
  // outcome to answer at once (before "100 Continue"), or nullopt.
  [[nodiscard]] std::optional<LoadOutcome> PreCheck(const LoadRequest& request);

  // Runs the whole load. `prechecked`: PreCheck already ran for this request
  // (its header-phase faults are not consumed again).
  [[nodiscard]] LoadOutcome Execute(const LoadRequest& request, const BodyReader& read_body,
                                    bool prechecked);

 private:
  struct Context;

  // Applies header-phase faults; returns an outcome if one fired.
  std::optional<LoadOutcome> HeaderFaults(Context& ctx);
  // Header checks; begins the transaction if `begin`. On failure fills the
  // result and returns false (the transaction, if begun, is aborted).
  bool CheckHeaders(Context& ctx, bool begin);
  void Abort(Context& ctx, const std::string& reason);
  std::string StoreErrorLog(Context& ctx, const std::vector<std::string>& lines);
  LoadOutcome Finish(Context& ctx, LoadOutcome outcome);

  EmulatorState* state_;
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_LOAD_EXECUTOR_H_
