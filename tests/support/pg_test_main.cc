// main() for integration test binaries: GoogleTest/gMock plus one shared
// PostgreSQL cluster (PgEnvironment). Link dbmazz_pg_test_main instead of
// GTest::gtest_main.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/pg_environment.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new dbmazz::testing::PgEnvironment());
  return RUN_ALL_TESTS();
}
