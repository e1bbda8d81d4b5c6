// Connection behaviour that needs no server: DSN parsing, redaction, and the
// classification of unreachable endpoints. Server behaviour is covered by the
// integration tests.
#include "engine/postgres/pg_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dbmazz::postgres {
namespace {

TEST(RedactDsnTest, RemovesPasswordFromConninfoAndUri) {
  std::string r = RedactDsn("host=db port=5432 user=app password='s3cr:et' dbname=shop");
  EXPECT_EQ(r.find("s3cr"), std::string::npos) << r;
  EXPECT_NE(r.find("host='db'"), std::string::npos) << r;
  EXPECT_NE(r.find("dbname='shop'"), std::string::npos) << r;
  std::string u = RedactDsn("postgresql://app:hunter2@db:5432/shop?sslmode=disable");
  EXPECT_EQ(u.find("hunter2"), std::string::npos) << u;
  EXPECT_NE(u.find("user='app'"), std::string::npos) << u;
  EXPECT_EQ(RedactDsn("host='unterminated password=x"), "<unparseable DSN>");
}

TEST(PgConnectionTest, RejectsUnparseableDsn) {
  auto c = PgConnection::Connect("host=x badkeyword=1", ConnectOptions{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
}

TEST(PgConnectionTest, UnreachableServerIsUnavailableAndBounded) {
  // A port on loopback that nothing listens on: bind then close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  ConnectOptions options;
  options.connect_timeout = absl::Seconds(5);
  auto c = PgConnection::Connect(
      "host=127.0.0.1 port=" + std::to_string(port) + " user=u password=topsecret dbname=d",
      options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_EQ(std::string(c.status().message()).find("topsecret"), std::string::npos);
}

}  // namespace
}  // namespace dbmazz::postgres
