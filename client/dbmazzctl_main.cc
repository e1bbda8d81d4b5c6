// dbmazzctl: the admin client of dbmazzd.
//
//   dbmazzctl [--server ADDR] [--token-file F] [-o table|json] <command> ...
//
// Exit codes: 0 success; 2 bad command line; 3 invalid argument; 4 not
// found; 5 already exists; 6 failed precondition (wrong state, a failed
// check); 7 server, source or sink unavailable (or timed out);
// 8 unauthenticated / permission denied; 1 anything else.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/control_client.h"
#include "client/output.h"
#include "client/spec_file.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/source_admin.h"
#include "engine/sink/catalog_ddl.h"

namespace dbmazz::client {
namespace {

int ExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 3;
    case absl::StatusCode::kNotFound:
      return 4;
    case absl::StatusCode::kAlreadyExists:
      return 5;
    case absl::StatusCode::kFailedPrecondition:
      return 6;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 7;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 8;
    default:
      return 1;
  }
}

struct Globals {
  ClientOptions client;
  std::string token_file;
  std::string output = "table";
  bool json() const { return output == "json"; }
};

absl::StatusOr<std::unique_ptr<ControlClient>> Connect(const Globals& g) {
  ClientOptions options = g.client;
  if (!g.token_file.empty()) {
    std::ifstream in(g.token_file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", g.token_file));
    std::stringstream text;
    text << in.rdbuf();
    options.token = std::string(absl::StripAsciiWhitespace(text.str()));
  }
  return ControlClient::Connect(options);
}

void PrintPipeline(const Globals& g, const v1::Pipeline& p) {
  std::cout << (g.json() ? ToJson(p) : PipelineDetail(p));
}

absl::Status RunDdl(const std::string& file) {
  auto spec = ReadSpecFile(file);
  if (!spec.ok()) return spec.status();
  postgres::ConnectOptions options;
  auto conn = postgres::PgConnection::Connect(spec->engine.source.dsn, options);
  if (!conn.ok()) return conn.status();
  postgres::SourceAdmin admin(conn->get());
  for (const pipeline::TableSpec& t : spec->engine.tables) {
    auto ddl =
        sink::DdlForTable(admin, t.source, spec->engine.sink.database, t.target, {}, t.key_columns);
    if (!ddl.ok()) return ddl.status();
    std::cout << *ddl << ";\n";  // a script for the mysql client
  }
  return absl::OkStatus();
}

// Refreshes a table of every pipeline (or one) every `interval` until
// interrupted; rows/s from the growth of loaded rows.
absl::Status RunWatchAll(ControlClient& client, const Globals& g, absl::Duration interval) {
  std::map<std::string, std::pair<uint64_t, absl::Time>> last;
  bool tty = isatty(STDOUT_FILENO);
  while (true) {
    auto list = client.List();
    if (!list.ok()) return list.status();
    absl::Time now = absl::Now();
    std::vector<v1::Pipeline> pipelines(list->pipelines().begin(), list->pipelines().end());
    std::vector<double> rates;
    for (const auto& p : pipelines) {
      auto it = last.find(p.pipeline_id());
      double rate = 0;
      if (it != last.end() && now > it->second.second) {
        rate = (static_cast<double>(p.stats().rows_loaded()) - it->second.first) /
               absl::ToDoubleSeconds(now - it->second.second);
      }
      rates.push_back(std::max(0.0, rate));
      last[p.pipeline_id()] = {p.stats().rows_loaded(), now};
    }
    if (g.json()) {
      std::cout << ToJson(*list) << std::endl;
    } else {
      if (tty) std::cout << "\033[H\033[2J";
      std::cout << PipelinesTable(pipelines, rates) << std::flush;
    }
    absl::SleepFor(interval);
  }
}

}  // namespace
}  // namespace dbmazz::client

int main(int argc, char** argv) {
  using namespace dbmazz::client;
  Globals g;
  CLI::App app{"dbmazzctl: create, inspect, pause, resume and delete dbmazzd pipelines"};
  app.footer(
      "Exit codes: 0 ok, 2 usage, 3 invalid argument, 4 not found, 5 already exists,\n"
      "6 failed precondition, 7 unavailable/timeout, 8 unauthenticated, 1 other.");
  app.add_option("--server", g.client.server, "dbmazzd address (host:port)")
      ->envname("DBMAZZ_SERVER")
      ->capture_default_str();
  app.add_option("--token-file", g.token_file, "File holding the bearer token")
      ->envname("DBMAZZ_TOKEN_FILE");
  app.add_option("--tls-ca", g.client.tls_ca_file, "CA certificate (PEM): use TLS");
  app.add_option("-o,--output", g.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.require_subcommand(1);

  std::string id, file;
  bool keep_slot = false;
  double interval_s = 1.0;
  int limit = 50;
  auto* create = app.add_subcommand("create", "Create a pipeline from a spec file (YAML or JSON)");
  create->add_option("id", id, "Pipeline id, e.g. shop-orders")->required();
  create->add_option("-f,--file", file, "Spec file")->required()->check(CLI::ExistingFile);
  auto* validate = app.add_subcommand("validate", "Run every check of create; create nothing");
  validate->add_option("id", id, "Pipeline id")->required();
  validate->add_option("-f,--file", file, "Spec file")->required()->check(CLI::ExistingFile);
  auto* list = app.add_subcommand("list", "List pipelines");
  auto* get = app.add_subcommand("get", "Show one pipeline");
  get->add_option("id", id)->required();
  auto* pause = app.add_subcommand("pause", "Pause a pipeline (idempotent)");
  pause->add_option("id", id)->required();
  auto* resume = app.add_subcommand("resume", "Resume a pipeline (also retries a FAILED one)");
  resume->add_option("id", id)->required();
  auto* del = app.add_subcommand("delete", "Delete a pipeline and the slot it created");
  del->add_option("id", id)->required();
  del->add_flag("--keep-slot", keep_slot, "Keep the replication slot and publication");
  auto* watch = app.add_subcommand("watch", "Live view of every pipeline, or of one");
  watch->add_option("id", id, "Only this pipeline");
  watch->add_option("--interval", interval_s, "Seconds between refreshes")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  auto* events = app.add_subcommand("events", "A pipeline's event history, newest first");
  events->add_option("id", id)->required();
  events->add_option("--limit", limit)->check(CLI::Range(1, 1000))->capture_default_str();
  std::string level;
  auto* log_level =
      app.add_subcommand("log-level", "Show dbmazzd's log level, or set it (not persisted)");
  log_level->add_option("level", level, "trace, debug, info, warn, error, critical or off");
  auto* ddl = app.add_subcommand(
      "ddl", "Print the StarRocks CREATE TABLE statements of the spec's tables (for mysql)");
  ddl->add_option("-f,--file", file, "Spec file")->required()->check(CLI::ExistingFile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  absl::Status status;
  if (ddl->parsed()) {
    status = RunDdl(file);
  } else {
    auto client = Connect(g);
    if (!client.ok()) {
      std::cerr << "dbmazzctl: " << client.status().message() << "\n";
      return ExitCode(client.status());
    }
    ControlClient& c = **client;
    if (create->parsed() || validate->parsed()) {
      auto spec = ReadSpecFile(file);
      if (!spec.ok()) {
        status = spec.status();
      } else if (create->parsed()) {
        auto p = c.Create(id, spec->proto);
        status = p.status();
        if (p.ok()) PrintPipeline(g, *p);
      } else {
        auto r = c.Validate(id, spec->proto);
        status = r.status();
        if (r.ok()) {
          std::cout << (g.json() ? ToJson(*r) : ChecksTable(*r));
          if (!r->valid()) status = absl::FailedPreconditionError("validation failed");
        }
      }
    } else if (list->parsed()) {
      auto r = c.List();
      status = r.status();
      if (r.ok()) {
        std::cout << (g.json() ? ToJson(*r)
                               : PipelinesTable({r->pipelines().begin(), r->pipelines().end()}));
      }
    } else if (get->parsed() || pause->parsed() || resume->parsed() || del->parsed()) {
      auto p = get->parsed()      ? c.Get(id)
               : pause->parsed()  ? c.Pause(id)
               : resume->parsed() ? c.Resume(id)
                                  : c.Delete(id, keep_slot);
      status = p.status();
      if (p.ok()) PrintPipeline(g, *p);
    } else if (events->parsed()) {
      auto r = c.Events(id, limit, "");
      status = r.status();
      if (r.ok()) std::cout << (g.json() ? ToJson(*r) : EventsTable(*r));
    } else if (log_level->parsed()) {
      auto r = level.empty() ? c.GetLogLevel() : c.SetLogLevel(level);
      status = r.status();
      if (r.ok()) std::cout << (g.json() ? absl::StrCat("{\"level\": \"", *r, "\"}") : *r) << "\n";
    } else if (watch->parsed()) {
      absl::Duration interval = absl::Milliseconds(static_cast<int64_t>(interval_s * 1000));
      if (id.empty()) {
        status = RunWatchAll(c, g, interval);
      } else {
        status = c.Watch(id, interval, [&](const dbmazz::v1::Pipeline& p) {
          if (g.json()) {
            std::cout << ToJson(p) << std::endl;
          } else {
            std::cout << PipelinesTable({p}) << std::endl;
          }
          return true;
        });
      }
    }
  }
  if (!status.ok()) {
    std::cerr << "dbmazzctl: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
  }
  return ExitCode(status);
}
