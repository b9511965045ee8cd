#include "server/ingest_routes.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/json_response.h"
#include "server/url.h"

namespace bh {
namespace {

Result<std::int64_t> int_param(const std::string& name, const std::string& value, std::int64_t lo, std::int64_t hi) {
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size() || n < lo || n > hi) {
    return fail(invalid_argument(fmt::format("{} must be an integer from {} to {}, got [{}]", name, lo, hi, value)));
  }
  return n;
}

class IngestRoutes final : public RouteModule {
 public:
  explicit IngestRoutes(IngestRoutesDeps deps)
      : deps_(std::move(deps)),
        pushed_(deps_.metrics.counter("buildhub_push_total", "Pushed documents by outcome", {{"outcome", "inserted"}})),
        pushed_present_(
            deps_.metrics.counter("buildhub_push_total", "Pushed documents by outcome", {{"outcome", "already_present"}})),
        pushed_invalid_(deps_.metrics.counter("buildhub_push_total", "Pushed documents by outcome", {{"outcome", "invalid"}})),
        pushed_unauthorized_(
            deps_.metrics.counter("buildhub_push_total", "Pushed documents by outcome", {{"outcome", "unauthorized"}})) {}

  void register_routes(Router& router) override {
    router.add_async("POST", "/api/builds", "api_builds_push",
                     [this](HttpRequest r, RouteParams, Responder respond) { start_push(std::move(r), respond); });
    router.add("GET", "/api/rejections", "api_rejections",
               [this](const HttpRequest& r, const RouteParams&) { return rejections(r); });
  }

 private:
  void start_push(HttpRequest request, const Responder& respond) {
    const std::string_view token = bearer_token(request);
    if (deps_.push_tokens.empty() || token.empty() || !token_matches(token, deps_.push_tokens)) {
      pushed_unauthorized_.inc();
      HttpResponse r = json_response(
          {{"error", deps_.push_tokens.empty()
                         ? "pushing builds is not enabled on this server (it has no push tokens configured)"
                         : "a valid bearer token is required: Authorization: Bearer <token>"}},
          401);
      r.set_header("WWW-Authenticate", "Bearer realm=\"buildhub\"");
      respond(std::move(r));
      return;
    }
    if (request.body.size() > deps_.limits.max_document_bytes) {
      respond(json_response({{"error", fmt::format("the document is {} bytes; the limit is {}", request.body.size(),
                                                   deps_.limits.max_document_bytes)}},
                            413));
      return;
    }
    // Storing waits for the database's write lock: off the I/O thread.
    deps_.executor.post([this, request = std::move(request), respond] { respond(push(request)); });
  }

  HttpResponse push(const HttpRequest& request) {
    RecordParser parser(deps_.validator, deps_.limits);
    nlohmann::json errors = nlohmann::json::array();
    std::string summary;
    auto doc = parser.parse(request.body);
    if (!doc) {
      if (doc.error().code() == Code::kTooLarge) return json_response({{"error", doc.error().message()}}, 413);
      errors.push_back({{"pointer", ""}, {"rule", doc.error().message()}});
      summary = doc.error().message();
    } else {
      for (const SchemaViolation& v : deps_.validator.validate(*doc)) {
        errors.push_back({{"pointer", v.pointer}, {"rule", v.message}});
        if (!summary.empty()) summary += "; ";
        summary += v.to_string();
      }
    }
    const std::string origin = "push:" + request.remote_address;
    if (!errors.empty()) {
      pushed_invalid_.inc();
      Rejection rejection;
      rejection.source = "push";
      rejection.origin = origin;
      rejection.reason = summary;
      const std::vector<Rejection> rejections = {rejection};
      if (auto stored = deps_.store.commit_batch({.records = {}, .rejections = rejections}); !stored) {
        return error_response(stored.error().with_context("recording the rejection"));
      }
      return json_response({{"error", fmt::format("invalid buildhub.json: {}", summary)}, {"errors", errors}}, 400);
    }
    // The document parsed and validated above, hashed as the pipeline hashes it.
    auto build_hash = compute_build_hash(*doc);
    if (!build_hash) return json_response({{"error", build_hash.error().message()}}, http_status(build_hash.error().code()));
    NewRecord record;
    record.build_hash = std::move(*build_hash);
    record.document = request.body;
    record.metadata = deps_.metadata;
    const std::vector<NewRecord> records = {std::move(record)};
    auto outcomes = deps_.store.insert_batch(records);
    if (!outcomes) return error_response(outcomes.error());
    const InsertOutcome& o = outcomes->front();
    const bool inserted = o.kind == InsertKind::kInserted;
    (inserted ? pushed_ : pushed_present_).inc();
    HttpResponse r = json_response({{"id", o.id}, {"build_hash", records.front().build_hash},
                                    {"inserted", inserted}},
                                   inserted ? 201 : 200);
    r.set_header("Location", fmt::format("/api/records/{}", o.id));
    return r;
  }

  Result<HttpResponse> rejections(const HttpRequest& request) {
    BH_ASSIGN_OR_RETURN(auto params, parse_query(request.query));
    std::int64_t limit = 50;
    std::int64_t before = 0;
    for (const auto& [name, value] : params) {
      if (name == "limit") {
        BH_ASSIGN_OR_RETURN(limit, int_param("limit", value, 1, 1000));
      } else if (name == "before") {
        BH_ASSIGN_OR_RETURN(before, int_param("before", value, 1, std::numeric_limits<std::int64_t>::max()));
      } else {
        return fail(invalid_argument(fmt::format("unknown parameter [{}]: expected limit and before", name)));
      }
    }
    BH_ASSIGN_OR_RETURN(std::int64_t total, deps_.store.count_rejections());
    BH_ASSIGN_OR_RETURN(auto page, deps_.store.list_rejections(before, static_cast<std::size_t>(limit)));
    nlohmann::json list = nlohmann::json::array();
    for (const Rejection& r : page) {
      list.push_back({{"id", r.id},
                      {"time", r.created_at},
                      {"source", r.source},
                      {"origin", r.origin},
                      {"key", r.s3_object_key ? nlohmann::json(*r.s3_object_key) : nlohmann::json()},
                      {"etag", r.s3_object_etag ? nlohmann::json(*r.s3_object_etag) : nlohmann::json()},
                      {"reason", r.reason}});
    }
    nlohmann::json body = {{"total", total}, {"rejections", list}};
    const bool more = static_cast<std::int64_t>(page.size()) == limit && !page.empty() && page.back().id > 1;
    body["next"] = more ? nlohmann::json(fmt::format("/api/rejections?limit={}&before={}", limit, page.back().id))
                        : nlohmann::json();
    return json_response(body);
  }

  IngestRoutesDeps deps_;
  Counter& pushed_;
  Counter& pushed_present_;
  Counter& pushed_invalid_;
  Counter& pushed_unauthorized_;
};

}  // namespace

std::unique_ptr<RouteModule> make_ingest_routes(IngestRoutesDeps deps) {
  return std::make_unique<IngestRoutes>(std::move(deps));
}

}  // namespace bh
