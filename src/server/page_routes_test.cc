#include "server/page_routes.h"

#include <filesystem>
#include <fstream>
#include <optional>

#include <gtest/gtest.h>

#include "server/router.h"

namespace bh {
namespace {

WebAssets small_page() {
  auto set = WebAssets::from_files({{"index.html", "<script type=module src=\"{{ASSETS}}/main.js\"></script>{{ASSETS}}"},
                                    {"main.js", "console.log('hi');"},
                                    {"app.css", "body{margin:0}"}});
  EXPECT_TRUE(set) << set.error().to_string();
  return std::move(*set);
}

HttpRequest get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = std::move(headers);
  return r;
}

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class PageRoutesTest : public ::testing::Test {
 protected:
  void serve(PageRoutesDeps deps) {
    module_ = make_page_routes(std::move(deps));
    module_->register_routes(router_);
  }
  HttpResponse answer(HttpRequest r) {
    std::optional<HttpResponse> got;
    router_.dispatch(std::move(r), Responder([&](HttpResponse response) { got = std::move(response); }));
    EXPECT_TRUE(got.has_value());
    return got.value_or(HttpResponse{});
  }

  MetricsRegistry metrics_;
  Router router_{metrics_, system_clock()};
  std::unique_ptr<RouteModule> module_;
};

TEST(WebAssets, IndexNamesTheVersionedAssetsAndTheVersionFollowsTheContent) {
  const WebAssets a = small_page();
  const std::string prefix = "/assets/" + a.version();
  EXPECT_EQ(a.index().identity, "<script type=module src=\"" + prefix + "/main.js\"></script>" + prefix);
  EXPECT_EQ(a.version().size(), 12u);
  ASSERT_NE(a.find("main.js"), nullptr);
  EXPECT_EQ(a.find("main.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(a.find("app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(a.find("nope.js"), nullptr);
  auto b = WebAssets::from_files({{"index.html", "{{ASSETS}}"}, {"main.js", "console.log('changed');"}, {"app.css", "body{margin:0}"}});
  ASSERT_TRUE(b);
  EXPECT_NE(a.version(), b->version());
  EXPECT_FALSE(WebAssets::from_files({{"main.js", "x"}}));  // no index.html
  // The same index template, another script: the index names a new version, so its validator
  // changes too (a 304 would keep a page that asks for the old version's files).
  auto c = WebAssets::from_files({{"index.html", "{{ASSETS}}"}, {"main.js", "console.log('again');"}});
  ASSERT_TRUE(c);
  EXPECT_NE(b->index().etag, c->index().etag);
  EXPECT_EQ(b->find("app.css")->etag, WebAssets::from_files({{"index.html", "x"}, {"app.css", "body{margin:0}"}})->find("app.css")->etag);
}

TEST(WebAssets, IdentityOnlySetsMakeNoCompressedForms) {
  auto plain = WebAssets::from_files({{"index.html", "{{ASSETS}}"}, {"main.js", "let x = 1;"}}, WebAssets::Encodings::kIdentityOnly);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->find("main.js")->br.empty());
  EXPECT_TRUE(plain->find("main.js")->gzip.empty());
  EXPECT_EQ(plain->find("main.js")->identity, "let x = 1;");
}

TEST(WebAssets, TheEmbeddedPageIsComplete) {
  auto page = WebAssets::embedded();
  ASSERT_TRUE(page) << page.error().to_string();
  for (const char* name : {"main.js", "search_page.js", "build_page.js", "app.css", "favicon.svg"}) {
    EXPECT_NE(page->find(name), nullptr) << name;
  }
  EXPECT_EQ(page->find("package.json"), nullptr);
  EXPECT_EQ(page->find("version_test.mjs"), nullptr);
  EXPECT_NE(page->index().identity.find("/assets/" + page->version() + "/main.js"), std::string::npos);
  EXPECT_EQ(page->index().identity.find("{{ASSETS}}"), std::string::npos);
  EXPECT_LE(page->total_bytes(true), 100u * 1024) << "page weight budget";
}

TEST_F(PageRoutesTest, IndexAndBuildPagesCarryThePolicyAndRevalidate) {
  serve({.assets = small_page(), .web_dir = {}});
  for (const char* path : {"/", "/builds/20190301030000"}) {
    const HttpResponse r = answer(get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "Content-Security-Policy"), kPageContentSecurityPolicy);
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(r, "Content-Encoding"), "");
  }
  const HttpResponse first = answer(get("/"));
  const HttpResponse again = answer(get("/", {{"if-none-match", header(first, "ETag")}}));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(answer(get("/", {{"if-none-match", "\"other\", W/" + header(first, "ETag")}})).status, 304);
  EXPECT_EQ(answer(get("/", {{"if-none-match", "\"other\""}})).status, 200);
}

TEST_F(PageRoutesTest, AssetsAreImmutableEncodedAndOnlyForTheirVersion) {
  const WebAssets page = small_page();
  const std::string version = page.version();
  const std::string br_body = page.find("main.js")->br;
  serve({.assets = page, .web_dir = {}});
  const HttpResponse r = answer(get("/assets/" + version + "/main.js", {{"accept-encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "Content-Encoding"), "br");
  EXPECT_EQ(r.body, br_body);
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  const HttpResponse gz = answer(get("/assets/" + version + "/main.js", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(header(gz, "Content-Encoding"), "gzip");
  EXPECT_NE(header(gz, "ETag"), header(r, "ETag"));  // one validator per representation
  EXPECT_EQ(answer(get("/assets/000000000000/main.js")).status, 404);
  EXPECT_EQ(answer(get("/assets/" + version + "/missing.js")).status, 404);
  EXPECT_EQ(answer(get("/assets/" + version + "/index.html")).status, 404);
  EXPECT_EQ(answer(get("/assets/" + version)).status, 404);
}

TEST_F(PageRoutesTest, AWebDirectoryIsReadOnEveryRequest) {
  const auto dir = std::filesystem::temp_directory_path() / ("bh-web-dir-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("index.html", "v1 {{ASSETS}}");
  serve({.assets = small_page(), .web_dir = dir});
  EXPECT_EQ(answer(get("/")).body.substr(0, 3), "v1 ");
  write("index.html", "v2 {{ASSETS}}");
  write("main.js", "1;");
  const HttpResponse r = answer(get("/"));
  EXPECT_EQ(r.body.substr(0, 3), "v2 ");
  const std::string asset = r.body.substr(3) + "/main.js";
  const HttpResponse js = answer(get(asset));
  EXPECT_EQ(js.status, 200) << asset;
  EXPECT_EQ(js.body, "1;");
  EXPECT_EQ(header(js, "Cache-Control"), "no-cache");
  std::filesystem::remove(dir / "index.html");
  EXPECT_EQ(answer(get("/")).status, 404);  // says what is missing instead of serving stale files
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bh
