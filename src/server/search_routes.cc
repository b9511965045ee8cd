#include "server/search_routes.h"

#include <fmt/format.h>

#include "core/admission.h"
#include "search/es_errors.h"
#include "server/url.h"

namespace bh {
namespace {

// Searches fail as Elasticsearch fails them: its error body and types, for clients that read them.
HttpResponse search_error(const Status& status) {
  HttpResponse r;
  r.status = http_status(status.code());
  r.body = search::es_error_body(status);
  return r;
}

class SearchRoutes final : public RouteModule {
 public:
  explicit SearchRoutes(SearchRoutesDeps deps)
      : deps_(deps),
        admission_(std::max<std::size_t>(deps.max_pending, 1)),
        rejected_(deps.metrics.counter("buildhub_search_rejected_total",
                                       "Searches refused with 429 because too many were in progress")),
        timed_out_(deps.metrics.counter("buildhub_search_timed_out_total",
                                        "Searches that reached their time budget (answered with timed_out: true)")),
        in_progress_(deps.metrics.gauge("buildhub_search_in_progress", "Searches running or queued")) {}

  void register_routes(Router& router) override {
    for (const char* method : {"GET", "POST"}) {
      // Looked up once here: the registry's lookup takes a lock, too much for every search.
      Counter& requests =
          deps_.metrics.counter("buildhub_api_search_requests_total", "Searches by method", {{"method", method}});
      const std::pair<const char*, const char*> routes[] = {
          {"/api/search", "api_search"}, {"/v1/buckets/build-hub/collections/releases/search", "api_search_v1"}};
      for (const auto& [path, action] : routes) {
        router.add_async(method, path, action, [this, &requests](HttpRequest r, RouteParams, Responder respond) {
          requests.inc();
          start(std::move(r), std::move(respond));
        });
      }
    }
  }

 private:
  void start(HttpRequest request, Responder respond) {
    const Clock::Instant received = deps_.clock.monotonic_now();
    auto ticket = admission_.try_enter();
    if (!ticket) {
      rejected_.inc();
      HttpResponse r = search_error(overloaded(fmt::format(
          "too many searches in progress ({} running or queued); retry later", admission_.capacity())));
      r.set_header("Retry-After", "1");
      respond(std::move(r));
      return;
    }
    in_progress_.set(static_cast<double>(admission_.in_progress()));
    deps_.executor.post([this, request = std::move(request), respond, received, ticket = std::move(*ticket)]() mutable {
      respond(run(request, received));
      ticket.reset();
      in_progress_.set(static_cast<double>(admission_.in_progress()));
    });
  }

  HttpResponse run(const HttpRequest& request, Clock::Instant received) {
    search::SearchCall call;
    call.body = request.body;
    call.received = received;
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
      auto params = parse_query(request.query);
      if (!params) return search_error(params.error());
      call.params = std::move(*params);
    }
    auto answer = deps_.search.search(call);
    if (!answer) return search_error(answer.error());
    if (answer->timed_out) timed_out_.inc();
    HttpResponse r;
    r.body = std::move(answer->body);
    return r;
  }

  SearchRoutesDeps deps_;
  Admission admission_;
  Counter& rejected_;
  Counter& timed_out_;
  Gauge& in_progress_;
};

}  // namespace

std::unique_ptr<RouteModule> make_search_routes(SearchRoutesDeps deps) { return std::make_unique<SearchRoutes>(deps); }

}  // namespace bh
