#include "server/page_routes.h"

#include <fmt/format.h>

#include "compress/http_encoding.h"

namespace bh {
namespace {

enum class Caching { kRevalidate, kImmutable };

HttpResponse answer(const WebAsset& asset, const HttpRequest& request, Caching caching) {
  HttpResponse r;
  r.content_type = asset.content_type;
  r.set_header("Content-Security-Policy", std::string(kPageContentSecurityPolicy));
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "same-origin");
  r.set_header("Vary", "Accept-Encoding");
  r.set_header("Cache-Control", caching == Caching::kImmutable ? "public, max-age=31536000, immutable" : "no-cache");
  const std::string_view coding =
      asset.br.empty() ? std::string_view{} : compress::choose_content_coding(request.header("accept-encoding"));
  // One validator per representation: a cache must not answer a gzip request with br bytes.
  std::string etag = asset.etag;
  if (!coding.empty()) etag.insert(etag.size() - 1, coding == "br" ? "-br" : "-gz");
  r.set_header("ETag", etag);
  if (compress::if_none_match_hits(request.header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  if (coding == "br") {
    r.set_header("Content-Encoding", "br");
    r.body = asset.br;
  } else if (coding == "gzip") {
    r.set_header("Content-Encoding", "gzip");
    r.body = asset.gzip;
  } else {
    r.body = asset.identity;
  }
  return r;
}

class PageRoutes final : public RouteModule {
 public:
  explicit PageRoutes(PageRoutesDeps deps) : deps_(std::move(deps)) {}

  void register_routes(Router& router) override {
    auto index = [this](const HttpRequest& request, const RouteParams&) -> Result<HttpResponse> {
      return with_assets([&](const WebAssets& assets) { return answer(assets.index(), request, Caching::kRevalidate); });
    };
    router.add("GET", "/", "page_index", index);
    router.add("GET", "/builds/{}", "page_build", index);
    router.add("GET", "/assets/{}/{}", "page_asset",
               [this](const HttpRequest& request, const RouteParams& params) -> Result<HttpResponse> {
                 return asset(request, params);
               });
  }

 private:
  template <typename Fn>
  Result<HttpResponse> with_assets(Fn&& fn) {
    if (deps_.web_dir.empty()) return fn(deps_.assets);
    auto fresh = WebAssets::from_directory(deps_.web_dir);
    if (!fresh) return fail(fresh.error());
    return fn(*fresh);
  }

  Result<HttpResponse> asset(const HttpRequest& request, const RouteParams& params) {
    return with_assets([&](const WebAssets& assets) -> Result<HttpResponse> {
      const WebAsset* a = params[0] == assets.version() && params[1] != "index.html" ? assets.find(params[1]) : nullptr;
      if (a == nullptr) {
        return fail(not_found(fmt::format("no asset {} in this version of the page ({}); reload the page",
                                          params[1], assets.version())));
      }
      return answer(*a, request, deps_.web_dir.empty() ? Caching::kImmutable : Caching::kRevalidate);
    });
  }

  PageRoutesDeps deps_;
};

}  // namespace

std::unique_ptr<RouteModule> make_page_routes(PageRoutesDeps deps) { return std::make_unique<PageRoutes>(std::move(deps)); }

}  // namespace bh
