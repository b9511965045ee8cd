#include "server/router.h"

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

Result<HttpResponse> text(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

TEST(Router, LiteralRoutesWinOverPatternsWhateverTheOrder) {
  MetricsRegistry metrics;
  Router router(metrics);
  router.add("GET", "/api/records/{}", "one", [](const HttpRequest&, const RouteParams& p) { return text("id " + p[0]); });
  router.add("GET", "/api/records/latest", "latest", [](const HttpRequest&, const RouteParams&) { return text("latest"); });
  EXPECT_EQ(router.dispatch(request("GET", "/api/records/latest")).body, "latest");
  EXPECT_EQ(router.dispatch(request("GET", "/api/records/17")).body, "id 17");
  EXPECT_EQ(router.dispatch(request("GET", "/api/records/")).status, 404);
}

TEST(Router, ErrorsMapToStatusAndJson) {
  MetricsRegistry metrics;
  Router router(metrics);
  router.add("GET", "/x", "x", [](const HttpRequest&, const RouteParams&) -> Result<HttpResponse> {
    return fail(invalid_argument("bad \"thing\""));
  });
  const HttpResponse r = router.dispatch(request("GET", "/x"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"bad \"thing\""})");
  const HttpResponse missing = router.dispatch(request("GET", "/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no such endpoint"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllow) {
  MetricsRegistry metrics;
  Router router(metrics);
  router.add("GET", "/api/records", "count", [](const HttpRequest&, const RouteParams&) { return text("n"); });
  const HttpResponse r = router.dispatch(request("DELETE", "/api/records"));
  EXPECT_EQ(r.status, 405);
  bool has_allow = false;
  for (const auto& [k, v] : r.headers) has_allow |= (k == "Allow" && v == "GET, HEAD");
  EXPECT_TRUE(has_allow);
  EXPECT_EQ(router.dispatch(request("HEAD", "/api/records")).status, 200);
}

TEST(Router, ApiPathsGetCorsAndPreflight) {
  MetricsRegistry metrics;
  Router router(metrics);
  router.add("GET", "/api/records", "count", [](const HttpRequest&, const RouteParams&) { return text("n"); });
  router.add("GET", "/metrics", "metrics", [](const HttpRequest&, const RouteParams&) { return text("m"); });
  auto has_cors = [](const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Access-Control-Allow-Origin" && v == "*") return true;
    }
    return false;
  };
  EXPECT_TRUE(has_cors(router.dispatch(request("GET", "/api/records"))));
  EXPECT_FALSE(has_cors(router.dispatch(request("GET", "/metrics"))));
  const HttpResponse pre = router.dispatch(request("OPTIONS", "/api/records"));
  EXPECT_EQ(pre.status, 204);
  EXPECT_TRUE(has_cors(pre));
}

TEST(Router, CountsRequestsByActionAndStatus) {
  MetricsRegistry metrics;
  Router router(metrics);
  router.add("GET", "/a", "alpha", [](const HttpRequest&, const RouteParams&) { return text("a"); });
  router.dispatch(request("GET", "/a"));
  router.dispatch(request("GET", "/a"));
  router.dispatch(request("GET", "/zzz"));
  const std::string out = metrics.render_prometheus();
  EXPECT_NE(out.find(R"(buildhub_http_requests_total{action="alpha",method="GET",status="200"} 2)"), std::string::npos)
      << out;
  EXPECT_NE(out.find(R"(buildhub_http_requests_total{action="not_found",method="GET",status="404"} 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace bh
