// An asynchronous HTTP/1.1 server (Boost.Beast + Asio, C++20 coroutines).
//
// Each connection is a coroutine on its own strand, so thousands of idle or slow clients cost
// memory, not threads. Limits: request header size (431), body size (413), and a deadline for
// reading each request (headers + body), which also bounds keep-alive idleness (slow clients
// are disconnected, not waited for). The handler is called on an I/O thread and answers through
// the Responder it is given: at once for quick work, or later from another thread (the router
// sends long work to the executor), so the I/O threads never run long work; the connection
// waits for the answer without holding a thread.
//
// Shutdown: request_stop() (or SIGINT/SIGTERM when `handle_signals`) stops accepting, closes
// idle keep-alive connections, lets requests in flight finish (up to `drain_timeout`), then
// returns from wait().
//
// Every response gets `X-Response-Time` (milliseconds, as Buildhub2 sends it). Handlers never
// throw across this boundary: an exception escaping a handler becomes a 500 and is logged.
//
// Ownership: the caller owns the server. Every Responder handed out must be answered or dropped
// before the server is destroyed (stop the executor that answers them first).
// Thread safety: start() once; request_stop() may be called from any thread (also a signal
// handler context via Asio's signal_set); wait() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "server/http_types.h"

namespace bh {

using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: an ephemeral port (see HttpServer::port())
  unsigned io_threads = 0;    // 0: one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds drain_timeout{10'000};
  std::size_t max_connections = 10'000;
  bool handle_signals = true;
  bool access_log = true;
};

class HttpServer {
 public:
  // Binds and starts serving on background threads. Fails with kUnavailable when the address
  // cannot be bound (in use, permission).
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler handler,
                                                    std::shared_ptr<const Logger> logger, MetricsRegistry& metrics,
                                                    const Clock& clock = system_clock());
  virtual ~HttpServer() = default;

  // The port actually bound.
  virtual std::uint16_t port() const = 0;
  // Begins a graceful shutdown; returns at once.
  virtual void request_stop() = 0;
  // Blocks until the server has stopped (after request_stop or a signal).
  virtual void wait() = 0;
};

}  // namespace bh
