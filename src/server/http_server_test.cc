#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/sync.h"

namespace bh {
namespace {

// A blocking loopback client speaking raw bytes, so tests can send what real clients must not.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void send(const std::string& bytes) { (void)!::write(fd_, bytes.data(), bytes.size()); }
  // Everything until the server closes (or 5 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  // One response with a Content-Length body.
  std::string read_response() {
    std::string out;
    std::vector<char> buf(64 * 1024);
    std::size_t header_end = std::string::npos;
    std::size_t length = 0;
    while (true) {
      if (header_end == std::string::npos && (header_end = out.find("\r\n\r\n")) != std::string::npos) {
        const auto cl = out.find("Content-Length: ");
        length = cl == std::string::npos || cl > header_end ? 0 : std::stoul(out.substr(cl + 16, 20));
      }
      if (header_end != std::string::npos && out.size() >= header_end + 4 + length) return out;
      const ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n <= 0) return out;
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    options.port = 0;
    options.handle_signals = false;
    options.access_log = false;
    auto s = HttpServer::start(
        options,
        [this](HttpRequest r, Responder respond) {
          HttpResponse resp;
          if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
          if (r.path == "/throw") throw std::runtime_error("boom");
          resp.body = "{\"method\":\"" + r.method + "\",\"path\":\"" + r.path + "\",\"body\":" +
                      std::to_string(r.body.size()) + "}";
          if (r.path == "/shared") {
            // 16 MiB from a shared buffer, a window of it: bytes [1, 16 MiB - 1).
            resp.shared_body = SharedBody{.bytes = shared_bytes_, .offset = 1, .length = shared_bytes_->size() - 2};
            resp.content_type = "application/octet-stream";
          }
          if (r.path == "/later") {
            // Answered from another thread after a while: the I/O thread is free meanwhile.
            MutexLock lock(later_mutex_);
            later_.emplace_back([this, respond, resp] {
              std::this_thread::sleep_for(std::chrono::milliseconds(400));
              later_answered_ = true;
              respond(resp);
            });
            return;
          }
          respond(std::move(resp));
        },
        Logger::null(), metrics_);
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }
  void TearDown() override {
    {
      MutexLock lock(later_mutex_);
      later_.clear();  // joins: every answer is given before the server goes
    }
    if (server_) {
      server_->request_stop();
      server_->wait();
    }
  }
  // Made once for all the tests (16 MiB), not once per test.
  static std::shared_ptr<const std::string> make_shared_bytes() {
    static const std::shared_ptr<const std::string> bytes = [] {
      std::string text(16 << 20, '\0');
      for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
      return std::make_shared<const std::string>(std::move(text));
    }();
    return bytes;
  }
  const std::shared_ptr<const std::string> shared_bytes_ = make_shared_bytes();
  Mutex later_mutex_;
  std::vector<std::jthread> later_ GUARDED_BY(later_mutex_);
  std::atomic<bool> later_answered_{false};
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndKeepsAlive) {
  start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send("GET /a%20b?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string first = c.read_response();
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("X-Response-Time: "), std::string::npos);
  EXPECT_NE(first.find(R"("path":"/a b")"), std::string::npos);
  c.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  const std::string second = c.read_response();
  EXPECT_NE(second.find(R"("method":"POST","path":"/p","body":5)"), std::string::npos) << second;
}

TEST_F(HttpServerTest, ASharedBodyIsSentAsItsWindowAndHeadSendsOnlyItsLength) {
  start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send("GET /shared HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string got = c.read_response();
  const auto header_end = got.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  EXPECT_NE(got.find(fmt::format("Content-Length: {}", shared_bytes_->size() - 2)), std::string::npos);
  EXPECT_EQ(got.substr(header_end + 4), shared_bytes_->substr(1, shared_bytes_->size() - 2));
  c.send("HEAD /shared HTTP/1.1\r\nHost: t\r\n\r\n");
  char buf[4096];
  const ssize_t n = ::read(c.fd(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  const std::string head(buf, static_cast<std::size_t>(n));
  EXPECT_NE(head.find(fmt::format("Content-Length: {}", shared_bytes_->size() - 2)), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\n\r\n") + 4, head.size()) << "a HEAD answer has no body";
}

TEST_F(HttpServerTest, ASlowReaderGetsALargeBodyThatTakesLongerThanTheTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(500);
  start(options);
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  c.send("GET /shared HTTP/1.1\r\nHost: t\r\n\r\n");
  // About 8 MB/s (128 KiB every 16 ms): the 16 MiB take about 2 s, four times the timeout, but
  // every write makes progress well within it, so the server keeps sending. (The timeout counts
  // from one write's progress to the next, as nginx's send_timeout does.)
  const std::size_t want = shared_bytes_->size() - 2;
  std::string got;
  char buf[64 * 1024];
  const auto started = std::chrono::steady_clock::now();
  auto body_size = [&] {
    const auto end = got.find("\r\n\r\n");
    return end == std::string::npos ? std::size_t{0} : got.size() - end - 4;
  };
  bool closed = false;
  while (!closed && body_size() < want) {
    for (std::size_t this_turn = 0; this_turn < 128 * 1024 && body_size() < want;) {
      const ssize_t n = ::read(c.fd(), buf, sizeof buf);
      if (n <= 0) {
        closed = true;
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
      this_turn += static_cast<std::size_t>(n);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(16));
  }
  EXPECT_GT(std::chrono::steady_clock::now() - started, options.read_timeout) << "the reading was not slow";
  EXPECT_EQ(body_size(), want);
}

TEST_F(HttpServerTest, ALateAnswerDoesNotHoldTheOnlyIoThread) {
  HttpServerOptions options;
  options.io_threads = 1;
  start(options);
  RawClient slow(server_->port());
  RawClient quick(server_->port());
  ASSERT_TRUE(slow.connected() && quick.connected());
  slow.send("GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  quick.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string now = quick.read_response();
  // The quick request was answered while the late one was still waiting for its answer.
  EXPECT_FALSE(later_answered_.load());
  EXPECT_NE(now.find(R"("path":"/now")"), std::string::npos) << now;
  const std::string later = slow.read_response();
  EXPECT_NE(later.find(R"("path":"/later")"), std::string::npos) << later;
}

TEST_F(HttpServerTest, AnswersExpectContinueAtOnce) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  start(o);
  RawClient c(server_->port());
  c.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  char buf[64] = {};
  const ssize_t n = ::read(c.fd(), buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("hello");
  EXPECT_NE(c.read_response().find(R"("body":5)"), std::string::npos);
  // Too large: refused before the client sends the body.
  RawClient big(server_->port());
  big.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_NE(big.read_all().find("HTTP/1.1 413"), std::string::npos);
}

TEST_F(HttpServerTest, HeadSendsHeadersOnly) {
  start();
  RawClient c(server_->port());
  c.send("HEAD /h HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string r = c.read_all();
  EXPECT_NE(r.find("200 OK"), std::string::npos);
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  start(o);
  RawClient c(server_->port());
  c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_NE(c.read_all().find("HTTP/1.1 431"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 100;
  start(o);
  RawClient c(server_->port());
  c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  const std::string r = c.read_all();
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  EXPECT_NE(r.find("larger than 100 bytes"), std::string::npos);
}

TEST_F(HttpServerTest, GarbageIs400) {
  start();
  RawClient c(server_->port());
  c.send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(c.read_all().find("HTTP/1.1 400"), std::string::npos);
}

TEST_F(HttpServerTest, BadPercentEscapeIs400) {
  start();
  RawClient c(server_->port());
  c.send("GET /a%zz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(c.read_all().find("HTTP/1.1 400"), std::string::npos);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServerLives) {
  start();
  {
    RawClient c(server_->port());
    c.send("GET /throw HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_NE(c.read_all().find("HTTP/1.1 500"), std::string::npos);
  }
  RawClient c(server_->port());
  c.send("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(c.read_all().find("200 OK"), std::string::npos);
}

TEST_F(HttpServerTest, SlowClientTimesOutWithoutBlockingOthers) {
  HttpServerOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  o.io_threads = 1;  // even with one thread, a stalled client holds nothing
  start(o);
  RawClient slow(server_->port());
  slow.send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finishes its headers
  RawClient quick(server_->port());
  quick.send("GET /q HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(quick.read_all().find("200 OK"), std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(slow.read_all(), "");  // dropped at the deadline, not after the client's 5 s
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequests) {
  start();
  RawClient idle(server_->port());
  ASSERT_TRUE(idle.connected());
  RawClient busy(server_->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  server_->request_stop();
  const std::string r = busy.read_all();
  EXPECT_NE(r.find("200 OK"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  server_->wait();
  EXPECT_EQ(idle.read_all(), "");  // closed without a response
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  RawClient late(server_->port());
  EXPECT_FALSE(late.connected());
  server_.reset();
}

TEST_F(HttpServerTest, BindFailureIsReported) {
  start();
  HttpServerOptions o;
  o.port = server_->port();
  o.handle_signals = false;
  auto second = HttpServer::start(o, [](HttpRequest, Responder respond) { respond(HttpResponse{}); }, Logger::null(), metrics_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace bh
