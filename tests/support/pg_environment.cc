#include "tests/support/pg_environment.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/support/pg_reaper.h"

namespace dbmazz::testing {
namespace {

PgCluster* g_cluster = nullptr;
// Set when SetUp() failed: why, and the placeholder handed to tests.
std::string* g_startup_error = nullptr;
PgCluster* g_placeholder = nullptr;

}  // namespace

PgEnvironment::PgEnvironment(PgCluster::Options options) : options_(std::move(options)) {}

PgEnvironment::~PgEnvironment() {
  if (g_cluster == cluster_.get()) g_cluster = nullptr;
}

void PgEnvironment::SetUp() {
  PgReaper::InstallSignalHandlers();
  absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start(options_);
  if (!cluster.ok()) {
    // Not fatal here: GoogleTest would then mark every test "skipped". Each
    // test fails instead, through cluster().
    g_startup_error = new std::string(absl::StrCat(
        "The shared PostgreSQL test cluster could not start: ", cluster.status().ToString(),
        "\n(Binaries: PgCluster::Options::bin_dir, $DBMAZZ_PG_BINDIR or "
        "/usr/lib/postgresql/15/bin; other versions: deploy/install_postgres.sh N.)"));
    ADD_FAILURE() << *g_startup_error;
    cluster_ = PgCluster::NotStarted();
    g_placeholder = cluster_.get();
    return;
  }
  cluster_ = *std::move(cluster);
  g_cluster = cluster_.get();
  std::printf(
      "[ PgEnv    ] %s\n[ PgEnv    ] server_version_num %d, bin dir %s, port %d, "
      "data dir %s, OS user %s\n",
      cluster_->version_string().c_str(), cluster_->server_version_num(),
      cluster_->bin_dir().c_str(), cluster_->port(), cluster_->data_dir().c_str(),
      cluster_->os_user().c_str());
  std::fflush(stdout);
}

void PgEnvironment::TearDown() {
  g_cluster = nullptr;
  g_placeholder = nullptr;
  cluster_.reset();
}

PgCluster& PgEnvironment::cluster() {
  if (g_cluster != nullptr) return *g_cluster;
  if (g_placeholder != nullptr && g_startup_error != nullptr) {
    ADD_FAILURE() << *g_startup_error;
    return *g_placeholder;
  }
  std::fprintf(stderr,
               "PgEnvironment::cluster() called with no cluster: link dbmazz_pg_test_main (or "
               "register PgEnvironment) and call it from a test\n");
  std::abort();
}

}  // namespace dbmazz::testing
