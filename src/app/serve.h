// `buildhub serve`, composed: the store (by URL), the executor, the search service and its
// follower, the route modules, the HTTP server; demo data on an empty store. The CLI only turns
// flags into a ServeConfig.
//
// Start-up: open the store, seed demo data if asked, build the search index, start the
// follower, register every module's routes, listen, then start the S3-event daemon when a queue
// is configured. Shutdown (SIGTERM/SIGINT): stop accepting and drain connections, let the daemon
// finish the messages in hand, let the executor finish every search in flight (their answers
// need the server), stop the follower, then close the store.
//
// Ownership: run_serve owns everything it builds. Thread safety: call it once per process.
// Failure: the first start-up failure (store, index, listen address) as a Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "app/demo_seed.h"
#include "app/partial_setup.h"
#include "app/queue_consumer.h"
#include "core/log.h"
#include "search/search_service.h"
#include "server/http_server.h"
#include "store/store_factory.h"

namespace bh::app {

struct ServeConfig {
  StoreRequest store;
  HttpServerOptions http;
  std::string port_file;            // written once listening, with the bound port
  DemoSeed demo;
  unsigned cpu_budget = 0;          // executor workers; 0: one per core
  std::uint64_t memory_budget = 0;  // bytes that diffs and builds may reserve; 0: no limit
  search::SearchServiceOptions search;
  std::size_t max_pending_searches = 64;
  std::vector<std::string> push_tokens;      // POST /api/builds; empty: pushing is refused
  std::size_t max_document_bytes = 1 << 20;  // pushed and S3 documents
  std::optional<QueueConsumerConfig> queue;  // the S3-event daemon, inside the server
  std::filesystem::path web_dir;             // serve the page from here (development); empty: the embedded page
  PartialConfig partials;                    // the partial service
};

Status run_serve(const ServeConfig& config, std::shared_ptr<Logger> logger);

}  // namespace bh::app
