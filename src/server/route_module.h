// A module's HTTP face: it registers its own routes on the one Router. The app builds the
// modules a command needs (serve: ops, records, search, page; next: partials, builds, static)
// from the configuration, so no bag of services grows with every subsystem.
//
// Ownership: a module borrows the services it was built with; the app keeps those alive for
// as long as the router serves. Thread safety: register_routes() once, before serving; the
// handlers it registers are safe for concurrent use.
#pragma once

#include "server/router.h"

namespace bh {

class RouteModule {
 public:
  virtual ~RouteModule() = default;
  virtual void register_routes(Router& router) = 0;
};

}  // namespace bh
