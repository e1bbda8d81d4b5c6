#include "tests/support/starrocks_emulator/http_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace dbmazz::starrocks_emulator {
namespace {

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return -1;
}

}  // namespace

void HttpServer::RaiseListenBacklog(int backlog) {
  socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, backlog);
}

LoadRequest MakeLoadRequest(const httplib::Request& req, std::string db, std::string table) {
  LoadRequest out;
  out.db = std::move(db);
  out.table = std::move(table);
  out.remote_host = req.remote_addr;
  for (const auto& [name, value] : req.headers) {
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;
    }
    out.headers.emplace_back(name, value);
  }
  bool chunked = absl::StrContains(absl::AsciiStrToLower(req.get_header_value("Transfer-Encoding")),
                                   "chunked");
  if (!chunked && req.has_header("Content-Length")) {
    out.content_length = std::strtoll(req.get_header_value("Content-Length").c_str(), nullptr, 10);
  }
  return out;
}

bool ExpectsContinue(const httplib::Request& req) {
  return absl::EqualsIgnoreCase(req.get_header_value("Expect"), "100-continue");
}

namespace {

// Calls fn(fd, local_port, peer_port) for every connected socket of this
// process until it returns true.
template <typename Fn>
void ForEachConnectedSocket(Fn&& fn) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{};
    sockaddr_storage peer{};
    socklen_t local_len = sizeof(local);
    socklen_t peer_len = sizeof(peer);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    if (fn(static_cast<int>(fd), PortOf(local), PortOf(peer))) break;
  }
  closedir(dir);
}

// The socket of the request's connection, or -1.
int FindConnectionFd(const httplib::Request& req) {
  int found = -1;
  ForEachConnectedSocket([&](int fd, int local_port, int peer_port) {
    if (local_port != req.local_port || peer_port != req.remote_port) return false;
    found = fd;
    return true;
  });
  return found;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool DropConnection(const httplib::Request& req) {
  int fd = FindConnectionFd(req);
  if (fd < 0) return false;
  // SO_LINGER 0: reset rather than a clean close, like a crashed server.
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  shutdown(fd, SHUT_RDWR);
  return true;
}

bool AnswerAndClose(const httplib::Request& req, const httplib::Response& res) {
  int fd = FindConnectionFd(req);
  if (fd < 0) return false;
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + Reason(res.status) + "\r\n";
  for (const auto& [name, value] : res.headers) {
    if (absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\nConnection: close\r\n\r\n";
  out += res.body;
  bool sent = SendAll(fd, out);
  shutdown(fd, SHUT_WR);
  // Clients stop sending the body after a final status >= 300; after a 2xx
  // they send it anyway. Discard it so closing does not reset the connection.
  if (!sent || res.status >= 300) return true;
  int64_t remaining = -1;
  if (req.has_header("Content-Length")) {
    remaining = std::strtoll(req.get_header_value("Content-Length").c_str(), nullptr, 10);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[16384];
  while (remaining != 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (remaining > 0) remaining = std::max<int64_t>(0, remaining - n);
  }
  return true;
}

void ShutdownAcceptedConnections(int port) {
  ForEachConnectedSocket([port](int fd, int local_port, int) {
    if (local_port == port) shutdown(fd, SHUT_RDWR);
    return false;
  });
}

void SetJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

}  // namespace dbmazz::starrocks_emulator
