#include "server/router.h"

#include <future>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

namespace bh {
namespace {

HttpRequest request(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

// What the router answers, for routes that answer before dispatch returns.
HttpResponse answer(const Router& router, HttpRequest r) {
  std::optional<HttpResponse> got;
  router.dispatch(std::move(r), Responder([&](HttpResponse response) { got = std::move(response); }));
  EXPECT_TRUE(got.has_value());
  return got.value_or(HttpResponse{});
}

Result<HttpResponse> text(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

TEST(Router, LiteralRoutesWinOverPatternsWhateverTheOrder) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add("GET", "/api/records/{}", "one", [](const HttpRequest&, const RouteParams& p) { return text("id " + p[0]); });
  router.add("GET", "/api/records/latest", "latest", [](const HttpRequest&, const RouteParams&) { return text("latest"); });
  EXPECT_EQ(answer(router, request("GET", "/api/records/latest")).body, "latest");
  EXPECT_EQ(answer(router, request("GET", "/api/records/17")).body, "id 17");
  EXPECT_EQ(answer(router, request("GET", "/api/records/")).status, 404);
}

TEST(Router, ErrorsMapToStatusAndJson) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add("GET", "/x", "x", [](const HttpRequest&, const RouteParams&) -> Result<HttpResponse> {
    return fail(invalid_argument("bad \"thing\""));
  });
  const HttpResponse r = answer(router, request("GET", "/x"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"bad \"thing\""})");
  const HttpResponse missing = answer(router, request("GET", "/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no such endpoint"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllow) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add("GET", "/api/records", "count", [](const HttpRequest&, const RouteParams&) { return text("n"); });
  const HttpResponse r = answer(router, request("DELETE", "/api/records"));
  EXPECT_EQ(r.status, 405);
  bool has_allow = false;
  for (const auto& [k, v] : r.headers) has_allow |= (k == "Allow" && v == "GET, HEAD");
  EXPECT_TRUE(has_allow);
  EXPECT_EQ(answer(router, request("HEAD", "/api/records")).status, 200);
}

TEST(Router, ApiPathsGetCorsAndPreflight) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add("GET", "/api/records", "count", [](const HttpRequest&, const RouteParams&) { return text("n"); });
  router.add("GET", "/metrics", "metrics", [](const HttpRequest&, const RouteParams&) { return text("m"); });
  auto has_cors = [](const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Access-Control-Allow-Origin" && v == "*") return true;
    }
    return false;
  };
  EXPECT_TRUE(has_cors(answer(router, request("GET", "/api/records"))));
  EXPECT_FALSE(has_cors(answer(router, request("GET", "/metrics"))));
  const HttpResponse pre = answer(router, request("OPTIONS", "/api/records"));
  EXPECT_EQ(pre.status, 204);
  EXPECT_TRUE(has_cors(pre));
}

TEST(Router, CountsRequestsByActionAndStatus) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add("GET", "/a", "alpha", [](const HttpRequest&, const RouteParams&) { return text("a"); });
  answer(router, request("GET", "/a"));
  answer(router, request("GET", "/a"));
  answer(router, request("GET", "/zzz"));
  const std::string out = metrics.render_prometheus();
  EXPECT_NE(out.find(R"(buildhub_http_requests_total{action="alpha",method="GET",status="200"} 2)"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"(buildhub_http_requests_total{action="not_found",method="GET",status="404"} 1)"),
            std::string::npos);
}

TEST(Router, AsyncRoutesAnswerFromAnotherThreadWithCorsAndMetrics) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  std::jthread worker;
  router.add_async("POST", "/api/slow", "slow", [&](HttpRequest r, RouteParams, Responder respond) {
    worker = std::jthread([body = std::move(r.body), respond] {
      HttpResponse response;
      response.body = "echo " + body;
      respond(std::move(response));
    });
  });
  std::promise<HttpResponse> done;
  HttpRequest r = request("POST", "/api/slow");
  r.body = "x";
  router.dispatch(std::move(r), Responder([&](HttpResponse response) { done.set_value(std::move(response)); }));
  const HttpResponse got = done.get_future().get();
  EXPECT_EQ(got.body, "echo x");
  bool cors = false;
  for (const auto& [k, v] : got.headers) cors |= k == "Access-Control-Allow-Origin";
  EXPECT_TRUE(cors);
  worker.join();
  EXPECT_NE(metrics.render_prometheus().find(R"(buildhub_http_requests_total{action="slow",method="POST",status="200"} 1)"),
            std::string::npos);
}

TEST(Router, ADroppedResponderAnswers500AndASecondAnswerIsIgnored) {
  MetricsRegistry metrics;
  Router router(metrics, system_clock());
  router.add_async("GET", "/dropped", "dropped", [](HttpRequest, RouteParams, Responder) {});
  router.add_async("GET", "/twice", "twice", [](HttpRequest, RouteParams, Responder respond) {
    respond(HttpResponse{});
    HttpResponse second;
    second.status = 418;
    respond(std::move(second));
  });
  EXPECT_EQ(answer(router, request("GET", "/dropped")).status, 500);
  int answers = 0;
  int status = 0;
  router.dispatch(request("GET", "/twice"), Responder([&](HttpResponse response) {
    ++answers;
    status = response.status;
  }));
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace bh
