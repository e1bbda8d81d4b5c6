// Runs pg_recvlogical as the reference consumer of the benchmarks: reads a
// slot from its start to `end_lsn` into /dev/null.
#ifndef DBMAZZ_TESTS_BENCH_RECVLOGICAL_H_
#define DBMAZZ_TESTS_BENCH_RECVLOGICAL_H_

#include <string>

#include "engine/common/lsn.h"

namespace dbmazz::bench {

// Seconds taken by `pg_recvlogical --start -f /dev/null -E end_lsn --no-loop`
// with pgoutput options proto_version and publication_names. Exits the
// process if pg_recvlogical fails.
double RunRecvlogical(const std::string& recvlogical, const std::string& dsn,
                      const std::string& slot, const std::string& publication, Lsn end_lsn,
                      int proto);

}  // namespace dbmazz::bench

#endif  // DBMAZZ_TESTS_BENCH_RECVLOGICAL_H_
