// A GoogleTest environment that starts ONE PostgreSQL cluster shared by all
// the tests of a binary (link dbmazz_pg_test_main, which registers it).
//
// SetUp() starts the cluster (PgCluster::Options defaults: $DBMAZZ_PG_BINDIR
// or Debian's PostgreSQL 15), prints its version, bin dir and port, and
// installs PgReaper's signal handlers. If it cannot start, SetUp() records a
// failure with the reason and every test fails: cluster() adds the same
// failure and returns a placeholder cluster whose connections all fail (so
// tests fail rather than crash or skip). TearDown() stops the cluster and
// deletes its files.
//
// Tests share the cluster: each should use its own database
// (cluster().CreateDatabase(...)) and its own slot/publication names.
//
// Ownership: GoogleTest owns the environment; the environment owns the cluster.
// Thread-safety: cluster() may be called from any test thread once SetUp ran.
#ifndef DBMAZZ_TESTS_SUPPORT_PG_ENVIRONMENT_H_
#define DBMAZZ_TESTS_SUPPORT_PG_ENVIRONMENT_H_

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/pg_cluster.h"

namespace dbmazz::testing {

class PgEnvironment : public ::testing::Environment {
 public:
  explicit PgEnvironment(PgCluster::Options options = {});
  ~PgEnvironment() override;

  void SetUp() override;
  void TearDown() override;

  // The shared cluster. After a failed SetUp(): adds a test failure saying
  // why and returns the placeholder. Aborts when no PgEnvironment was set up
  // (called outside tests, or dbmazz_pg_test_main not linked).
  static PgCluster& cluster();

 private:
  PgCluster::Options options_;
  std::unique_ptr<PgCluster> cluster_;
};

}  // namespace dbmazz::testing

#endif  // DBMAZZ_TESTS_SUPPORT_PG_ENVIRONMENT_H_
