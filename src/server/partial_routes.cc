#include "server/partial_routes.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_nesting.h"
#include "server/bearer_auth.h"
#include "server/byte_range.h"
#include "server/json_response.h"
#include "server/url.h"

namespace bh {
namespace {

using service::PartialService;

HttpResponse error_json(const Status& s) { return json_response({{"error", s.message()}}, http_status(s.code())); }

std::string base_url(const HttpRequest& r) {
  std::string host(r.header("host"));
  if (host.empty()) host = "localhost";
  const std::string_view proto = r.header("x-forwarded-proto");
  return fmt::format("{}://{}", proto == "https" ? "https" : "http", host);
}

class PartialRoutes final : public RouteModule {
 public:
  explicit PartialRoutes(PartialRoutesDeps deps)
      : deps_(std::move(deps)),
        bytes_served_(deps_.metrics.counter("buildhub_partial_bytes_served_total", "Bytes of partial MARs sent")) {}

  void register_routes(Router& router) override {
    for (const char* prefix : {"", "/v1", "/latest"}) {
      router.add_async("POST", fmt::format("{}/partial", prefix), "partial_submit",
                       [this](HttpRequest r, RouteParams, Responder respond) {
                         later(respond, [this, r = std::move(r)] { return senbonzakura_submit(r); });
                       });
      router.add_async("GET", fmt::format("{}/partial/{{}}", prefix), "partial_get",
                       [this](HttpRequest r, RouteParams p, Responder respond) {
                         later(respond, [this, r = std::move(r), id = p[0]] { return senbonzakura_get(r, id); });
                       });
    }
    router.add_async("POST", "/api/partials", "api_partials_submit", [this](HttpRequest r, RouteParams, Responder respond) {
      later(respond, [this, r = std::move(r)] { return api_submit(r); });
    });
    router.add_async("GET", "/api/partials", "api_partials_list", [this](HttpRequest r, RouteParams, Responder respond) {
      later(respond, [this, r = std::move(r)] { return api_list(r); });
    });
    router.add_async("GET", "/api/partials/{}", "api_partials_get", [this](HttpRequest r, RouteParams p, Responder respond) {
      later(respond, [this, r = std::move(r), id = p[0]] { return api_get(r, id); });
    });
    router.add_async("GET", "/api/partials/{}/mar", "api_partials_mar",
                     [this](HttpRequest r, RouteParams p, Responder respond) {
                       later(respond, [this, r = std::move(r), id = p[0]] { return download(r, id); });
                     });
    router.add_async("POST", "/api/partials/{}/retry", "api_partials_retry",
                     [this](HttpRequest r, RouteParams p, Responder respond) {
                       admin(r, respond, [this, id = p[0]] { return retry(id); });
                     });
    router.add_async("DELETE", "/api/partials/{}", "api_partials_delete",
                     [this](HttpRequest r, RouteParams p, Responder respond) {
                       admin(r, respond, [this, id = p[0]] { return remove(id); });
                     });
    router.add_async("POST", "/api/admin/caches/drop", "api_admin_caches_drop",
                     [this](HttpRequest r, RouteParams, Responder respond) {
                       admin(r, respond, [this, r] { return drop(r); });
                     });
    router.add_async("GET", "/api/admin/stats", "api_admin_stats", [this](HttpRequest r, RouteParams, Responder respond) {
      admin(r, respond, [this] {
        auto s = deps_.partials.stats();
        return s ? json_response(*s) : error_json(s.error());
      });
    });
  }

 private:
  // Job-store and cache calls may wait on the disk: off the I/O thread.
  template <typename F>
  void later(const Responder& respond, F work) {
    deps_.executor.post([respond, work = std::move(work)]() mutable { respond(work()); });
  }

  template <typename F>
  void admin(const HttpRequest& r, const Responder& respond, F work) {
    const std::string_view token = bearer_token(r);
    if (deps_.admin_tokens.empty() || token.empty() || !token_matches(token, deps_.admin_tokens)) {
      HttpResponse out = json_response(
          {{"error", deps_.admin_tokens.empty() ? "admin routes are not enabled (no admin token configured)"
                                                : "a valid admin bearer token is required: Authorization: Bearer <token>"}},
          401);
      out.set_header("WWW-Authenticate", "Bearer realm=\"buildhub-admin\"");
      respond(std::move(out));
      return;
    }
    later(respond, std::move(work));
  }

  HttpResponse senbonzakura_submit(const HttpRequest& r) {
    auto spec = service::parse_senbonzakura_request(r.body, r.header("content-type"));
    if (!spec) return error_json(spec.error());
    auto outcome = deps_.partials.submit(*spec);
    if (!outcome) return error_json(outcome.error());
    const Job& job = outcome->job;
    const std::string url = fmt::format("{}/partial/{}", base_url(r), job.id);
    switch (job.state) {
      case JobState::kDone: return json_response({{"result", url}}, 201);
      case JobState::kFailed:
        return json_response({{"error", job.last_error}, {"identifier", job.id}, {"state", "failed"}}, 409);
      default:
        return json_response({{"result", job.id}, {"identifier", job.id}, {"state", std::string(job_state_name(job.state))},
                              {"url", url}},
                             202);
    }
  }

  HttpResponse senbonzakura_get(const HttpRequest& r, const std::string& id) {
    auto job = lookup(id);
    if (!job) return error_json(job.error());
    if ((*job)->state == JobState::kDone) return serve_mar(r, **job);
    return state_answer(**job);
  }

  HttpResponse state_answer(const Job& job) {
    if (job.state == JobState::kFailed) {
      return json_response({{"error", job.last_error}, {"identifier", job.id}, {"state", "failed"}}, 409);
    }
    nlohmann::json body = PartialService::job_json(job);
    HttpResponse out = json_response(body, 202);
    out.set_header("Retry-After", "2");
    return out;
  }

  Result<std::optional<Job>> lookup(const std::string& id) {
    if (!service::is_partial_identifier(id)) return fail(not_found(fmt::format("no partial {}", id.substr(0, 300))));
    auto job = deps_.partials.job(id);
    if (!job) return job;
    if (!*job) return fail(not_found(fmt::format("no partial {}", id)));
    return job;
  }

  HttpResponse serve_mar(const HttpRequest& r, const Job& job) {
    auto bytes = deps_.partials.partial_bytes(job);
    if (!bytes) return error_json(bytes.error());
    const std::string& all = **bytes;
    const std::string sha512 = nlohmann::json::parse(job.result, nullptr, false).value("sha512", "");
    const std::string etag = fmt::format("\"{}\"", sha512.substr(0, 32));
    HttpResponse out;
    out.content_type = "application/octet-stream";
    out.set_header("ETag", etag);
    out.set_header("Accept-Ranges", "bytes");
    out.set_header("Cache-Control", "public, max-age=31536000, immutable");
    out.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}.partial.mar\"", job.id.substr(0, 80)));
    if (const std::string_view inm = r.header("if-none-match"); !inm.empty() && inm.find(etag) != std::string_view::npos) {
      out.status = 304;
      return out;
    }
    const std::string_view range_header = r.header("range");
    const std::string_view if_range = r.header("if-range");
    const RangeAnswer range = range_header.empty() || (!if_range.empty() && if_range != etag)
                                  ? RangeAnswer{}
                                  : parse_byte_range(range_header, all.size());
    if (range.outcome == RangeOutcome::kUnsatisfiable) {
      out.status = 416;
      out.content_type = "application/json";
      out.body = json_response({{"error", "the range is outside the file"}}).body;
      out.set_header("Content-Range", fmt::format("bytes */{}", all.size()));
      return out;
    }
    if (range.outcome == RangeOutcome::kPartial) {
      out.status = 206;
      out.shared_body = SharedBody{.bytes = *bytes, .offset = range.range.first,
                                   .length = range.range.last - range.range.first + 1};
      out.set_header("Content-Range", fmt::format("bytes {}-{}/{}", range.range.first, range.range.last, all.size()));
    } else {
      out.shared_body = SharedBody{.bytes = *bytes, .offset = 0, .length = all.size()};
    }
    out.set_header("Digest", fmt::format("sha-512={}", sha512));
    if (r.method != "HEAD") bytes_served_.inc(out.body_size());
    return out;
  }

  HttpResponse api_submit(const HttpRequest& r) {
    auto request = service::parse_partial_api_request(r.body);
    if (!request) return error_json(request.error());
    auto spec = deps_.partials.resolve(*request);
    if (!spec) return error_json(spec.error());
    auto outcome = deps_.partials.submit(*spec);
    if (!outcome) return error_json(outcome.error());
    return job_answer(r, outcome->job, outcome->created);
  }

  HttpResponse job_answer(const HttpRequest& r, const Job& job, bool created) {
    nlohmann::json body = PartialService::job_json(job);
    body["status_url"] = fmt::format("{}/api/partials/{}", base_url(r), job.id);
    if (job.state == JobState::kDone) body["mar_url"] = fmt::format("{}/api/partials/{}/mar", base_url(r), job.id);
    body["created"] = created;
    return json_response(body, job.state == JobState::kDone ? 200 : job.state == JobState::kFailed ? 409 : 202);
  }

  HttpResponse api_get(const HttpRequest& r, const std::string& id) {
    auto job = lookup(id);
    if (!job) return error_json(job.error());
    nlohmann::json body = PartialService::job_json(**job);
    if ((*job)->state == JobState::kDone) body["mar_url"] = fmt::format("{}/api/partials/{}/mar", base_url(r), id);
    return json_response(body);
  }

  HttpResponse download(const HttpRequest& r, const std::string& id) {
    auto job = lookup(id);
    if (!job) return error_json(job.error());
    if ((*job)->state != JobState::kDone) return state_answer(**job);
    return serve_mar(r, **job);
  }

  HttpResponse api_list(const HttpRequest& r) {
    auto params = parse_query(r.query);
    if (!params) return error_json(params.error());
    JobListQuery query;
    for (const auto& [k, v] : *params) {
      if (k == "state") {
        query.state = parse_job_state(v);
        if (!query.state) return error_json(invalid_argument("state must be queued, running, done or failed"));
      } else if (k == "before" || k == "limit") {
        std::int64_t n = 0;
        const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || ptr != v.data() + v.size() || n < 0 || (k == "limit" && (n < 1 || n > 500))) {
          return error_json(invalid_argument(fmt::format("{} must be a number{}", k, k == "limit" ? " from 1 to 500" : "")));
        }
        if (k == "before") query.before_sequence = n;
        else query.limit = static_cast<std::size_t>(n);
      } else {
        return error_json(invalid_argument(fmt::format("unknown parameter {}", k.substr(0, 64))));
      }
    }
    auto jobs = deps_.partials.list(query);
    if (!jobs) return error_json(jobs.error());
    nlohmann::json list = nlohmann::json::array();
    for (const Job& j : *jobs) {
      nlohmann::json row = PartialService::job_json(j);
      row.erase("files");
      row.erase("manifest");
      list.push_back(std::move(row));
    }
    nlohmann::json body = {{"partials", list}};
    if (jobs->size() == query.limit && !jobs->empty()) body["next_before"] = jobs->back().sequence;
    return json_response(body);
  }

  HttpResponse retry(const std::string& id) {
    auto done = deps_.partials.retry(id);
    if (!done) return error_json(done.error());
    if (!*done) return json_response({{"error", fmt::format("no failed partial {}", id.substr(0, 300))}}, 404);
    return json_response({{"retried", id}}, 202);
  }

  HttpResponse remove(const std::string& id) {
    auto done = deps_.partials.remove(id);
    if (!done) return error_json(done.error());
    if (!*done) return json_response({{"error", fmt::format("no partial {}", id.substr(0, 300))}}, 404);
    return json_response({{"deleted", id}});
  }

  HttpResponse drop(const HttpRequest& r) {
    std::string level = "all";
    std::string hash;
    if (!r.body.empty()) {
      if (r.body.size() > 4096) return error_json(too_large("the body is larger than 4096 bytes"));
      if (!json_nesting_within(r.body, 4)) return error_json(invalid_argument("the body nests too deeply"));
      const nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
      if (!doc.is_object()) return error_json(invalid_argument("the body must be a JSON object {\"level\", \"hash\"}"));
      if (doc.contains("level") && !doc["level"].is_string()) return error_json(invalid_argument("level must be a string"));
      if (doc.contains("hash") && !doc["hash"].is_string()) return error_json(invalid_argument("hash must be a string"));
      level = doc.value("level", "all");
      hash = doc.value("hash", "");
    }
    auto dropped = deps_.partials.drop_caches(level, hash);
    if (!dropped) return error_json(dropped.error());
    return json_response({{"removed", *dropped}});
  }

  PartialRoutesDeps deps_;
  Counter& bytes_served_;
};

}  // namespace

std::unique_ptr<RouteModule> make_partial_routes(PartialRoutesDeps deps) {
  return std::make_unique<PartialRoutes>(std::move(deps));
}

}  // namespace bh
