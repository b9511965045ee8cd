#include "server/http_server.h"

#include <atomic>
#include <list>
#include <optional>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "core/sync.h"
#include "core/thread.h"
#include "server/url.h"

namespace bh {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::string json_error(std::string_view message) {
  nlohmann::json j;
  j["error"] = message;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Connection;

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler handler, std::shared_ptr<const Logger> logger,
             MetricsRegistry& metrics, const Clock& clock)
      : options_(options),
        handler_(std::move(handler)),
        logger_(std::move(logger)),
        clock_(clock),
        acceptor_(io_),
        signals_(io_),
        connections_active_(metrics.gauge("buildhub_http_connections_active", "Open HTTP connections")),
        connections_total_(metrics.counter("buildhub_http_connections_total", "Accepted HTTP connections")),
        rejected_connections_(metrics.counter("buildhub_http_connections_rejected_total",
                                              "Connections closed at once because max_connections was reached")),
        protocol_errors_(metrics.counter("buildhub_http_protocol_errors_total",
                                         "Requests refused before routing (malformed, too large, too slow)")) {}

  ~ServerImpl() override {
    request_stop();
    wait();
  }

  Status bind() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return invalid_argument(fmt::format("bad listen address '{}': {}", options_.host, ec.message()));
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return unavailable(fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return Status::ok();
  }

  void run() {
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        logger_->info("shutdown requested", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
        begin_stop();
      });
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    unsigned n = options_.io_threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options_.io_threads;
    for (unsigned i = 0; i < n; ++i) {
      threads_.push_back(start_thread(fmt::format("bh-http-io-{}", i), [this] { io_.run(); }));
    }
  }

  std::uint16_t port() const override { return port_; }

  void request_stop() override {
    asio::post(io_, [this] { begin_stop(); });
  }

  void wait() override {
    MutexLock lock(wait_mutex_);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Called on the io_context; idempotent.
  void begin_stop();
  void connection_closed(std::list<std::weak_ptr<Connection>>::iterator it);

  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  const Logger& logger() const { return *logger_; }
  const Clock& clock() const { return clock_; }
  bool stopping() const { return stopping_.load(); }
  Counter& protocol_errors() { return protocol_errors_; }

 private:
  asio::awaitable<void> accept_loop();
  void finish_if_drained();

  HttpServerOptions options_;
  HttpHandler handler_;
  std::shared_ptr<const Logger> logger_;
  const Clock& clock_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::vector<std::jthread> threads_;
  Mutex wait_mutex_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<asio::steady_timer> drain_timer_;

  Mutex connections_mutex_;
  std::list<std::weak_ptr<Connection>> connections_ GUARDED_BY(connections_mutex_);

  Gauge& connections_active_;
  Counter& connections_total_;
  Counter& rejected_connections_;
  Counter& protocol_errors_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerImpl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {}

  void set_registration(std::list<std::weak_ptr<Connection>>::iterator it) { registration_ = it; }
  beast::tcp_stream::executor_type executor() { return stream_.get_executor(); }

  asio::awaitable<void> serve();

  // Posted onto the connection's strand at shutdown: an idle connection is closed now; a busy
  // one closes after its response.
  void close_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->stream_.cancel();
    });
  }

 private:
  asio::awaitable<void> write_response(HttpResponse response, unsigned version, bool keep_alive, bool head,
                                       Clock::Instant started);
  // Hands the request to the handler and waits, without holding a thread, for its answer.
  asio::awaitable<HttpResponse> answer(HttpRequest request);
  asio::awaitable<void> refuse(int status, std::string_view message, unsigned version);
  template <class Serializer>
  asio::awaitable<void> write_serialized(Serializer& sr, bool head_only);

  ServerImpl& server_;
  beast::tcp_stream stream_;
  std::list<std::weak_ptr<Connection>>::iterator registration_;
  bool busy_ = false;
};

asio::awaitable<HttpResponse> Connection::answer(HttpRequest request) {
  // A quick route answers while the handler runs, on this thread: the answer is taken directly.
  // A later answer may come from any thread: it is handed to this connection's strand, where it
  // fills `pending` and cancels the timer this coroutine waits on, so asio's own completion path
  // resumes the coroutine, on its strand.
  struct Pending {
    explicit Pending(const beast::tcp_stream::executor_type& s) : strand(s) {}
    beast::tcp_stream::executor_type strand;
    std::thread::id handler_thread = std::this_thread::get_id();
    std::atomic<bool> in_handler{true};
    std::optional<HttpResponse> response;
    std::optional<asio::steady_timer> wake;  // made only when the answer comes later
  };
  auto pending = std::make_shared<Pending>(stream_.get_executor());
  Responder respond([pending](HttpResponse response) {
    if (pending->in_handler.load() && std::this_thread::get_id() == pending->handler_thread) {
      pending->response = std::move(response);
      return;
    }
    asio::post(pending->strand, [pending, response = std::move(response)]() mutable {
      pending->response = std::move(response);
      if (pending->wake) pending->wake->cancel();
    });
  });
  const std::string path = request.path;
  try {
    server_.handler()(std::move(request), std::move(respond));
  } catch (const std::exception& e) {
    server_.logger().error("handler threw", {{"path", path}, {"error", e.what()}});
    HttpResponse r;
    r.status = 500;
    r.body = json_error("internal error");
    if (!pending->response) pending->response = std::move(r);
  }
  pending->in_handler.store(false);
  if (pending->response) co_return std::move(*pending->response);
  // Posted answers run only after this turn of the strand, so the wait below is in place first.
  pending->wake.emplace(pending->strand, asio::steady_timer::time_point::max());
  while (!pending->response) co_await pending->wake->async_wait(kAsTuple);
  co_return std::move(*pending->response);
}

asio::awaitable<void> Connection::write_response(HttpResponse response, unsigned version, bool keep_alive, bool head,
                                                 Clock::Instant started) {
  const std::size_t body_size = response.body_size();
  auto fill_header = [&](auto& res) {
    res.version(version);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, "buildhub");
    res.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res.insert(name, value);
    const double elapsed_ms = std::chrono::duration<double, std::milli>(server_.clock().monotonic_now() - started).count();
    res.set("X-Response-Time", fmt::format("{:.3f}", elapsed_ms));
    res.keep_alive(keep_alive);
  };
  if (response.shared_body) {
    // Written straight from the shared bytes (held by `response` until the write ends): no copy.
    const SharedBody& shared = *response.shared_body;
    http::response<http::span_body<const char>> res;
    fill_header(res);
    res.content_length(body_size);
    if (!head) res.body() = boost::beast::span<const char>(shared.bytes->data() + shared.offset, shared.length);
    http::serializer<false, http::span_body<const char>> sr(res);
    co_await write_serialized(sr, head);
    co_return;
  }
  http::response<http::string_body> res;
  fill_header(res);
  res.body() = std::move(response.body);
  res.prepare_payload();
  if (head) {
    res.body().clear();
    res.content_length(body_size);
  }
  http::serializer<false, http::string_body> sr(res);
  co_await write_serialized(sr, head);
}

// The timeout is renewed on every write that makes progress, so a large download to a slow
// but live client is not cut off, while a client that stops reading still is.
template <class Serializer>
asio::awaitable<void> Connection::write_serialized(Serializer& sr, bool head_only) {
  for (;;) {
    stream_.expires_after(server_.options().read_timeout);
    if (head_only) {
      co_await http::async_write_header(stream_, sr, kAsTuple);
      co_return;
    }
    auto [ec, written] = co_await http::async_write_some(stream_, sr, kAsTuple);
    if (ec || sr.is_done()) co_return;
    (void)written;
  }
}

asio::awaitable<void> Connection::refuse(int status, std::string_view message, unsigned version) {
  server_.protocol_errors().inc();
  HttpResponse r;
  r.status = status;
  r.body = json_error(message);
  co_await write_response(std::move(r), version, false, false, server_.clock().monotonic_now());
}

asio::awaitable<void> Connection::serve() {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  const auto& opts = server_.options();
  while (!server_.stopping()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);
    stream_.expires_after(opts.read_timeout);
    auto [ec, bytes] = co_await http::async_read_header(stream_, buffer, parser, kAsTuple);
    (void)bytes;
    if (!ec && !parser.is_done()) {
      // curl sends "Expect: 100-continue" with bodies over 1 KiB and waits a second for the
      // go-ahead before sending the body; answer at once. A Content-Length over the body limit
      // never gets here: the parser fails the header read with body_limit (-> 413 below).
      const auto& header = parser.get();
      if (beast::iequals(header[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_ahead{http::status::continue_, header.version()};
        co_await http::async_write(stream_, go_ahead, kAsTuple);
      }
      std::tie(ec, bytes) = co_await http::async_read(stream_, buffer, parser, kAsTuple);
    }
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        break;
      }
      if (ec == http::error::header_limit) {
        co_await refuse(431, fmt::format("request headers larger than {} bytes", opts.max_header_bytes), 11);
      } else if (ec == http::error::body_limit) {
        co_await refuse(413, fmt::format("request body larger than {} bytes", opts.max_body_bytes), 11);
      } else if (ec == beast::error::timeout) {
        // Beast has already closed the socket: a client too slow to send its request (or idle
        // past the keep-alive limit) is dropped without an answer.
        server_.protocol_errors().inc();
      } else {
        co_await refuse(400, fmt::format("malformed HTTP request: {}", ec.message()), 11);
      }
      break;
    }
    busy_ = true;
    const auto started = server_.clock().monotonic_now();
    http::request<http::string_body> req = parser.release();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    boost::system::error_code rec;
    const auto endpoint = stream_.socket().remote_endpoint(rec);
    if (!rec) request.remote_address = endpoint.address().to_string();
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(req.body());
    HttpResponse response;
    auto split = split_target(request.target);
    const std::string method = request.method;
    const std::string remote = request.remote_address;
    std::string path;
    if (!split) {
      response.status = 400;
      response.body = json_error(split.error().message());
    } else {
      path = split->path;
      request.path = std::move(split->path);
      request.query = std::move(split->query);
      response = co_await answer(std::move(request));
    }
    const bool keep_alive = req.keep_alive() && !server_.stopping();
    const int status = response.status;
    co_await write_response(std::move(response), req.version(), keep_alive, method == "HEAD", started);
    if (opts.access_log && server_.logger().enabled(LogLevel::kInfo)) {
      server_.logger().info("request", {{"method", method},
                                        {"path", path},
                                        {"status", status},
                                        {"remote", remote},
                                        {"duration_ms", std::chrono::duration<double, std::milli>(
                                                            server_.clock().monotonic_now() - started)
                                                            .count()}});
    }
    busy_ = false;
    if (!keep_alive) break;
  }
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.close();
  server_.connection_closed(registration_);
}

asio::awaitable<void> ServerImpl::accept_loop() {
  while (!stopping_) {
    tcp::socket socket(asio::make_strand(io_));
    auto [ec] = co_await acceptor_.async_accept(socket, kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) break;
      // Out of file descriptors and the like: back off briefly instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    connections_total_.inc();
    auto conn = std::make_shared<Connection>(*this, std::move(socket));
    {
      MutexLock lock(connections_mutex_);
      if (connections_.size() >= options_.max_connections) {
        rejected_connections_.inc();
        continue;  // the socket closes as `conn` goes away
      }
      connections_.push_front(conn);
      conn->set_registration(connections_.begin());
    }
    connections_active_.add(1);
    asio::co_spawn(conn->executor(), conn->serve(), asio::detached);
  }
}

void ServerImpl::connection_closed(std::list<std::weak_ptr<Connection>>::iterator it) {
  {
    MutexLock lock(connections_mutex_);
    connections_.erase(it);
  }
  connections_active_.add(-1);
  if (stopping_) asio::post(io_, [this] { finish_if_drained(); });
}

void ServerImpl::begin_stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(connections_mutex_);
    for (auto& weak : connections_) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) c->close_if_idle();
  drain_timer_ = std::make_unique<asio::steady_timer>(io_, options_.drain_timeout);
  drain_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::size_t left = 0;
    {
      MutexLock lock(connections_mutex_);
      left = connections_.size();
    }
    if (left > 0) logger_->warn("drain timeout; closing remaining connections", {{"connections", left}});
    io_.stop();
  });
  finish_if_drained();
}

void ServerImpl::finish_if_drained() {
  MutexLock lock(connections_mutex_);
  if (connections_.empty()) {
    if (drain_timer_) drain_timer_->cancel();
    io_.stop();
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler,
                                                       std::shared_ptr<const Logger> logger, MetricsRegistry& metrics,
                                                       const Clock& clock) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler), std::move(logger), metrics, clock);
  BH_RETURN_IF_ERROR(server->bind());
  server->run();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace bh
