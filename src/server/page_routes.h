// The web page at "/": for now a placeholder that links the API (the search UI replaces it).
// Quick: answers on the I/O threads.
#pragma once

#include <memory>

#include "server/route_module.h"
#include "store/record_store.h"

namespace bh {

struct PageRoutesDeps {
  RecordStore& store;  // for the record count shown on the page
};

std::unique_ptr<RouteModule> make_page_routes(PageRoutesDeps deps);

}  // namespace bh
