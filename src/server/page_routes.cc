#include "server/page_routes.h"

#include <fmt/format.h>

namespace bh {
namespace {

class PageRoutes final : public RouteModule {
 public:
  explicit PageRoutes(PageRoutesDeps deps) : deps_(deps) {}

  void register_routes(Router& router) override {
    router.add("GET", "/", "index", [this](const HttpRequest&, const RouteParams&) { return index_page(); });
  }

 private:
  Result<HttpResponse> index_page() {
    auto total = deps_.store.count();
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = fmt::format(R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>buildhub</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
code{{background:#f3f3f3;padding:0 .25rem}}</style></head>
<body>
<h1>buildhub</h1>
<p>An index of Mozilla build records (<code>buildhub.json</code>), {records}.</p>
<ul>
<li><a href="/api/records">/api/records</a>: how many records there are; <code>/api/records/&lt;id&gt;</code>: one record</li>
<li><a href="/api/search">/api/search</a>: Elasticsearch-compatible search (POST a body, or <a href="/api/search?q=source.product:firefox">?q=</a>)</li>
<li><a href="/__heartbeat__">/__heartbeat__</a>, <a href="/__version__">/__version__</a>: operations</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
</ul>
<p>The search web page is not built yet; the API above answers the same questions.</p>
</body>
</html>
)",
                         fmt::arg("records", total ? fmt::format("{} records", *total) : std::string("store unavailable")));
    return r;
  }

  PageRoutesDeps deps_;
};

}  // namespace

std::unique_ptr<RouteModule> make_page_routes(PageRoutesDeps deps) { return std::make_unique<PageRoutes>(deps); }

}  // namespace bh
