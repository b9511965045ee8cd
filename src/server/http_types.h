// Plain HTTP request/response values shared by the server, the router and the handlers, so
// that only http_server.cc sees Boost.Beast; and Responder, through which a handler answers,
// now on the I/O thread or later from a worker.
//
// Ownership: HttpRequest and HttpResponse are values. A Responder is a cheap shared handle:
// copies deliver to the same request.
// Thread safety: a Responder may be called from any thread. The first call delivers; later calls
// are ignored. If every copy is destroyed without a call (a bug), the request is answered with a
// 500 so the connection is never left waiting.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bh {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/search?q=firefox"
  std::string path;    // percent-decoded path part: "/api/search"
  std::string query;   // raw query string without '?': "q=firefox"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // First header with that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

// A window [offset, offset + length) of bytes the response shares with a cache instead of
// copying: a large cached file is served without a copy, so its first byte leaves at once.
struct SharedBody {
  std::shared_ptr<const std::string> bytes;  // kept alive until the response is written
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body sent is this window and `body` is ignored.
  std::optional<SharedBody> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::size_t body_size() const { return shared_body ? shared_body->length : body.size(); }

  HttpResponse& set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

class Responder {
 public:
  using Deliver = std::function<void(HttpResponse)>;

  explicit Responder(Deliver deliver) : state_(std::make_shared<State>(std::move(deliver))) {}

  void operator()(HttpResponse response) const {
    if (!state_->answered.exchange(true)) state_->deliver(std::move(response));
  }
  bool answered() const { return state_->answered.load(); }

  // A Responder that passes the response through `adjust` before delivering it here.
  Responder then(std::function<HttpResponse(HttpResponse)> adjust) const {
    return Responder([inner = *this, adjust = std::move(adjust)](HttpResponse r) { inner(adjust(std::move(r))); });
  }

 private:
  struct State {
    explicit State(Deliver d) : deliver(std::move(d)) {}
    ~State() {
      if (answered.exchange(true)) return;
      HttpResponse r;
      r.status = 500;
      r.body = R"({"error":"internal error: the request was dropped without an answer"})";
      deliver(std::move(r));
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    std::atomic<bool> answered{false};
    Deliver deliver;
  };
  std::shared_ptr<State> state_;
};

}  // namespace bh
