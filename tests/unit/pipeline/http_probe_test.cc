// The FE reachability probe against loopback sockets: a closed port, a
// server that answers, and URLs libcurl must refuse.
#include "engine/pipeline/http_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace dbmazz::pipeline {
namespace {

using ::testing::HasSubstr;

// A listening loopback socket; returns its fd and sets *port.
int Listen(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

TEST(HttpProbeTest, ClosedPortIsUnavailable) {
  int port = 0;
  int fd = Listen(&port);
  ::close(fd);  // bound then closed: nothing listens there
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto status = ProbeHttp(url, absl::Seconds(5));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable) << status.status();
  EXPECT_THAT(status.status().message(), HasSubstr(url));
}

TEST(HttpProbeTest, AnyHttpAnswerCounts) {
  int port = 0;
  int fd = Listen(&port);
  ASSERT_EQ(::listen(fd, 1), 0);
  std::thread server([fd] {
    int client = ::accept(fd, nullptr, nullptr);
    if (client < 0) return;
    char buffer[4096];
    ssize_t n = ::read(client, buffer, sizeof(buffer));
    (void)n;
    const char reply[] =
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\nConnection: close\r\n\r\nunauthorized";
    ssize_t w = ::write(client, reply, sizeof(reply) - 1);
    (void)w;
    ::close(client);
  });
  auto status = ProbeHttp("http://127.0.0.1:" + std::to_string(port) + "/", absl::Seconds(5));
  server.join();
  ::close(fd);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 401);
}

TEST(HttpProbeTest, SilentServerTimesOut) {
  int port = 0;
  int fd = Listen(&port);
  ASSERT_EQ(::listen(fd, 1), 0);  // accepts the connection (backlog) but never answers
  auto status = ProbeHttp("http://127.0.0.1:" + std::to_string(port), absl::Milliseconds(300));
  ::close(fd);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded) << status.status();
}

TEST(HttpProbeTest, OnlyHttpSchemes) {
  auto status = ProbeHttp("file:///etc/passwd", absl::Seconds(1));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument) << status.status();
}

}  // namespace
}  // namespace dbmazz::pipeline
