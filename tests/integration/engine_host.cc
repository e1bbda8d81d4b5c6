// A process that runs the engine, for tests that kill it: opens the state
// file, creates the pipeline from a spec file if it does not exist yet, and
// runs until SIGTERM/SIGINT (graceful: drain and checkpoint). dbmazzd is the
// real daemon; this host has no gRPC so the crash test stays small.
//
//   engine_host STATE_PATH [PIPELINE_ID SPEC_JSON_FILE]
//
// DBMAZZ_SNAPSHOT_CHUNK_ROWS in the environment sets the snapshot's chunk size.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/runtime/engine.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::cerr << "usage: engine_host STATE_PATH [PIPELINE_ID SPEC_JSON_FILE]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  dbmazz::runtime::EngineOptions options;
  options.state_path = argv[1];
  options.retry_initial = absl::Milliseconds(200);
  options.retry_max = absl::Seconds(2);
  if (const char* rows = std::getenv("DBMAZZ_SNAPSHOT_CHUNK_ROWS")) {
    options.snapshot_chunk_rows = std::atoll(rows);
  }
  auto engine = dbmazz::runtime::Engine::Open(options);
  if (!engine.ok()) {
    std::cerr << "engine_host: " << engine.status() << "\n";
    return 1;
  }
  if (argc == 4 && (*engine)->Get(argv[2]).status().code() == absl::StatusCode::kNotFound) {
    std::ifstream in(argv[3]);
    std::stringstream text;
    text << in.rdbuf();
    auto spec = dbmazz::pipeline::SpecFromJson(text.str());
    if (!spec.ok()) {
      std::cerr << "engine_host: " << spec.status() << "\n";
      return 1;
    }
    auto created = (*engine)->Create(argv[2], *spec);
    if (!created.ok()) {
      std::cerr << "engine_host: " << created.status() << "\n";
      return 1;
    }
  }
  std::cout << "ready" << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  engine->reset();
  return 0;
}
