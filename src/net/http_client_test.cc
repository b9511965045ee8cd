#include "net/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "core/sync.h"

namespace bh::net {
namespace {

// A loopback server answering each connection's request with the next scripted action.
class ScriptedServer {
 public:
  using Action = std::function<void(int fd, const std::string& request)>;
  explicit ScriptedServer(std::deque<Action> script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::jthread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
  }
  std::string url(const std::string& path = "/x") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }
  std::string last_request() const {
    MutexLock lock(mutex_);
    return last_;
  }

  static Action reply(int status, std::string body, std::string extra_headers = "") {
    return [=](int fd, const std::string&) {
      const std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
      (void)!::write(fd, r.data(), r.size());
    };
  }
  static Action hang(std::chrono::milliseconds d) {
    return [=](int, const std::string&) { std::this_thread::sleep_for(d); };
  }
  static Action close_at_once() {
    return [](int, const std::string&) {};
  }

 private:
  void serve() {
    while (true) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
      {
        MutexLock lock(mutex_);
        last_ = request;
      }
      Action action = script_.empty() ? reply(200, "done") : script_.front();
      if (!script_.empty()) script_.pop_front();
      action(fd, request);
      ::close(fd);
    }
  }
  std::deque<Action> script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  mutable Mutex mutex_;
  std::string last_;
  std::jthread thread_;
};

HttpCall get(std::string url) {
  HttpCall c;
  c.url = std::move(url);
  return c;
}

HttpClientOptions fast_options() {
  HttpClientOptions o;
  o.service = "test";
  o.max_attempts = 4;
  o.backoff_base = std::chrono::milliseconds(1);
  o.backoff_max = std::chrono::milliseconds(20);
  o.total_timeout = std::chrono::milliseconds(2000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  return o;
}

TEST(HttpClient, RetriesServerErrorsAndThrottlingThenSucceeds) {
  ScriptedServer server({ScriptedServer::reply(503, "<Error><Code>SlowDown</Code></Error>"),
                         ScriptedServer::reply(429, "", "Retry-After: 0\r\n"), ScriptedServer::reply(500, ""),
                         ScriptedServer::reply(200, "hello", "ETag: \"e\"\r\n")});
  MetricsRegistry metrics;
  HttpClient client(fast_options(), &metrics, nullptr);
  auto reply = client.send(get(server.url()));
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hello");
  EXPECT_EQ(reply->attempts, 4u);
  EXPECT_EQ(reply->header("etag"), "\"e\"");
  EXPECT_EQ(server.requests(), 4);
  const std::string exposition = metrics.render_prometheus();
  EXPECT_NE(exposition.find(R"(buildhub_http_client_retries_total{service="test",reason="status_5xx"} 2)"),
            std::string::npos)
      << exposition;
  EXPECT_NE(exposition.find(R"(buildhub_http_client_retries_total{service="test",reason="status_429"} 1)"),
            std::string::npos);
}

TEST(HttpClient, AFinalAnswerIsNotRetriedAndTheLastErrorIsReturned) {
  ScriptedServer server({ScriptedServer::reply(404, "nope"), ScriptedServer::reply(503, "a"),
                         ScriptedServer::reply(503, "b"), ScriptedServer::reply(503, "c"),
                         ScriptedServer::reply(503, "d")});
  HttpClient client(fast_options(), nullptr, nullptr);
  auto not_found = client.send(get(server.url()));
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->attempts, 1u);
  auto busy = client.send(get(server.url()));
  ASSERT_TRUE(busy);  // the server answered: the caller reads its error body
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->body, "d");
  EXPECT_EQ(busy->attempts, 4u);
}

TEST(HttpClient, ConnectionFailuresAndStallsAreRetriedThenReported) {
  int port = 0;
  {
    ScriptedServer gone({});
    port = std::stoi(gone.url().substr(17, 5));
  }
  HttpClient client(fast_options(), nullptr, nullptr);
  auto refused = client.send(get("http://127.0.0.1:" + std::to_string(port) + "/x"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kUnavailable);
  EXPECT_NE(refused.error().message().find("after 4 attempts"), std::string::npos) << refused.error().message();

  ScriptedServer stalling({ScriptedServer::hang(std::chrono::milliseconds(400)), ScriptedServer::close_at_once(),
                           ScriptedServer::reply(200, "late")});
  HttpClient impatient(fast_options(), nullptr, nullptr);
  auto reply = impatient.send([&] {
    HttpCall c = get(stalling.url());
    c.timeout = std::chrono::milliseconds(250);
    return c;
  }());
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(reply->body, "late");
  EXPECT_EQ(reply->attempts, 3u);
}

TEST(HttpClient, ALargerBodyThanAllowedIsRefusedAtOnce) {
  ScriptedServer server({ScriptedServer::reply(200, std::string(5000, 'x')), ScriptedServer::reply(200, "ok")});
  HttpClient client(fast_options(), nullptr, nullptr);
  auto reply = client.send([&] {
    HttpCall c = get(server.url());
    c.max_response_bytes = 1000;
    return c;
  }());
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), Code::kTooLarge);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, SignsEveryAttemptAndSendsTheBody) {
  ScriptedServer server({ScriptedServer::reply(500, ""), ScriptedServer::reply(200, "")});
  HttpClient client(fast_options(), nullptr, nullptr);
  int signed_times = 0;
  HttpCall call;
  call.method = "POST";
  call.url = server.url("/q");
  call.body = "{\"a\":1}";
  call.headers = {{"content-type", "application/json"}};
  call.sign = [&] {
    ++signed_times;
    return HeaderList{{"authorization", "sig-" + std::to_string(signed_times)}};
  };
  auto reply = client.send(call);
  ASSERT_TRUE(reply);
  EXPECT_EQ(signed_times, 2);
  const std::string request = server.last_request();
  EXPECT_NE(request.find("POST /q HTTP/1.1"), std::string::npos) << request;
  EXPECT_NE(request.find("authorization: sig-2"), std::string::npos) << request;
}

TEST(HttpClient, AStopRequestCancelsTheBackoff) {
  ScriptedServer server({ScriptedServer::reply(503, ""), ScriptedServer::reply(503, "")});
  HttpClientOptions o = fast_options();
  o.backoff_base = std::chrono::milliseconds(60'000);
  o.backoff_max = std::chrono::milliseconds(60'000);
  HttpClient client(o, nullptr, nullptr);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto reply = client.send([&] {
    HttpCall c = get(server.url());
    c.stop = stop.get_token();
    return c;
  }());
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), Code::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST(HttpClient, RetryableStatuses) {
  EXPECT_TRUE(is_retryable_status(429));
  EXPECT_TRUE(is_retryable_status(500));
  EXPECT_TRUE(is_retryable_status(503));
  EXPECT_FALSE(is_retryable_status(400));
  EXPECT_FALSE(is_retryable_status(403));
  EXPECT_FALSE(is_retryable_status(404));
  EXPECT_FALSE(is_retryable_status(200));
}

}  // namespace
}  // namespace bh::net
