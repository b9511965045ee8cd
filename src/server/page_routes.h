// The web page: the search UI and the per-build pages, served by the binary.
//
//   GET /                     the search page (index.html; the page reads its state from the URL)
//   GET /builds/<build_id>    the same document; the page shows every record of that build
//   GET /assets/<version>/<f> the page's files, cached for a year (<version> names this set;
//                             another version is a 404, so a stale page never mixes files)
//
// Every answer carries a Content-Security-Policy that allows our own origin only, a strong ETag
// (If-None-Match gives 304) and, when Accept-Encoding allows, the br or gzip form made at start.
// Quick: answers on the I/O threads.
//
// Ownership: the embedded set is owned by the module. With a web directory (development), the
// files are read again on every request so an edit shows on reload.
#pragma once

#include <filesystem>
#include <memory>

#include "server/route_module.h"
#include "server/web_assets.h"

namespace bh {

struct PageRoutesDeps {
  WebAssets assets;                // the page compiled into the binary
  std::filesystem::path web_dir;   // when set, serve this directory's files instead (development)
};

std::unique_ptr<RouteModule> make_page_routes(PageRoutesDeps deps);

// The Content-Security-Policy of every page answer.
inline constexpr std::string_view kPageContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

}  // namespace bh
