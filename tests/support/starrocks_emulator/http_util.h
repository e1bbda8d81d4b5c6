// Glue between cpp-httplib and the emulator: request conversion, connection
// dropping, and a Server subclass with a deeper listen backlog.
//
// Thread-safety: free functions are thread-safe.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_HTTP_UTIL_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_HTTP_UTIL_H_

#include <httplib.h>

#include <string>

#include "tests/support/starrocks_emulator/load_request.h"

namespace dbmazz::starrocks_emulator {

// cpp-httplib's Server with access to its listening socket.
class HttpServer : public httplib::Server {
 public:
  // httplib listens with a backlog of 5; raise it so bursts of connections
  // (parallel loads) are not dropped and retried by the kernel.
  void RaiseListenBacklog(int backlog);
};

// The request's headers (minus the REMOTE_ADDR/LOCAL_* pseudo-headers httplib
// adds), peer address and Content-Length.
[[nodiscard]] LoadRequest MakeLoadRequest(const httplib::Request& req, std::string db,
                                          std::string table);

// True if the request carries "Expect: 100-continue".
[[nodiscard]] bool ExpectsContinue(const httplib::Request& req);

// Shuts the request's TCP connection down (both directions) so the client gets
// no response. Linux only: finds the socket via /proc/self/fd by matching the
// connection's local and remote ports. Returns false if not found.
bool DropConnection(const httplib::Request& req);

// Answers a request from the Expect: 100-continue hook and closes the
// connection cleanly: writes the whole response (with Content-Length and
// "Connection: close") straight to the socket, shuts down the sending side,
// then, for 2xx answers (after which clients send the body anyway), reads and
// discards the body (up to its Content-Length, EOF or 10 s) so the close does
// not reset the connection under the client. cpp-httplib's own write of `res` then fails
// harmlessly. Returns false if the socket was not found.
bool AnswerAndClose(const httplib::Request& req, const httplib::Response& res);

// Shuts down every accepted connection of the listening `port` in this
// process (so a stopping server does not wait for idle keep-alive clients).
void ShutdownAcceptedConnections(int port);

// Sets a JSON body.
void SetJson(httplib::Response& res, int status, const std::string& body);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_HTTP_UTIL_H_
