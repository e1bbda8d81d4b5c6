// starrocks_emulator: runs the StarRocks FE/BE emulator until SIGINT/SIGTERM.
// Prints {"fe_port":N,"be_port":M} as one line on stdout once both ports
// accept connections (and writes the same line to --port-file if given).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/support/starrocks_emulator/emulator.h"

namespace {

using dbmazz::starrocks_emulator::EmulatorOptions;
using dbmazz::starrocks_emulator::LoadSchemaFile;
using dbmazz::starrocks_emulator::StarRocksEmulator;

// Tables grow by millions of small rows: with transparent huge pages the
// heap faults in 2 MiB at a time instead of 4 KiB, which makes filling a
// table ~1.5x faster (bench_emulator BM_FillNewTable). glibc reads its
// tunables only at startup, so the process re-executes itself once with
// glibc.malloc.hugetlb=1 (a no-op where THP is off). DBMAZZ_EMULATOR_NO_THP=1
// opts out.
void UseTransparentHugePages(char** argv) {
  if (std::getenv("DBMAZZ_EMULATOR_NO_THP") != nullptr) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;
  std::string old = tunables == nullptr ? "" : tunables;
  std::string value = old.empty() ? "glibc.malloc.hugetlb=1" : old + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: go on without
  if (tunables == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", old.c_str(), 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  UseTransparentHugePages(argv);
  // Stream Load bodies are megabytes each: keep freed memory in the heap
  // instead of mapping and faulting in fresh pages for every request.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // One arena: the main heap is the one glibc backs with huge pages.
  mallopt(M_ARENA_MAX, 1);
  CLI::App app{"StarRocks FE/BE emulator (Stream Load) for dbmazz tests"};
  EmulatorOptions options;
  std::string schema_path;
  std::string port_file;
  double json_limit_mb = 100;
  app.add_option("--host", options.host, "Address to bind")->capture_default_str();
  app.add_option("--fe-port", options.fe_port, "FE HTTP port (0: pick a free one)")
      ->capture_default_str();
  app.add_option("--be-port", options.be_port, "BE HTTP port (0: pick a free one)")
      ->capture_default_str();
  app.add_option("--advertised-host", options.advertised_host,
                 "Host written into redirects (default: --host)");
  app.add_option("--schema", schema_path, "Schema file (YAML or JSON)");
  app.add_option("--port-file", port_file, "Also write the port line to this file");
  app.add_option("--json-size-limit-mb", json_limit_mb,
                 "JSON body limit without ignore_json_size (StarRocks: 100)")
      ->capture_default_str();
  app.add_option("--be-threads", options.be_threads, "BE worker threads")->capture_default_str();
  app.add_option("--fe-threads", options.fe_threads, "FE worker threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.json_size_limit = static_cast<int64_t>(json_limit_mb * 1024 * 1024);

  if (!schema_path.empty()) {
    auto schema = LoadSchemaFile(schema_path);
    if (!schema.ok()) {
      std::fprintf(stderr, "starrocks_emulator: %s\n",
                   std::string(schema.status().message()).c_str());
      return 2;
    }
    options.schema = *std::move(schema);
  }

  // Block the stop signals before any thread starts so sigwait gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto emulator = StarRocksEmulator::Start(std::move(options));
  if (!emulator.ok()) {
    std::fprintf(stderr, "starrocks_emulator: %s\n",
                 std::string(emulator.status().message()).c_str());
    return 1;
  }
  std::string line = "{\"fe_port\":" + std::to_string((*emulator)->fe_port()) +
                     ",\"be_port\":" + std::to_string((*emulator)->be_port()) + "}";
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << line << "\n";
    }
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*emulator)->Stop();
  return 0;
}
