#include "server/kinto_routes.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/admission.h"
#include "core/calendar.h"
#include "server/url.h"

namespace bh {
namespace {

constexpr std::string_view kRecordsPath = "/v1/buckets/build-hub/collections/releases/records";
constexpr std::string_view kExposedHeaders =
    "Alert, Backoff, Content-Length, ETag, Last-Modified, Next-Page, Retry-After, Total-Records";

// Kinto's error body: code, errno, error, message and, for a parameter, which one (or the
// caller's `details`).
HttpResponse kinto_error(const Status& status, nlohmann::json details = nullptr) {
  HttpResponse r;
  r.status = http_status(status.code());
  int errno_value = 999;
  std::string error = "Internal Server Error";
  switch (r.status) {
    case 400: {
      errno_value = 107;
      error = "Invalid parameters";
      const std::string name = v1::kinto_error_parameter(status.message());
      details = nlohmann::json::array(
          {{{"location", "querystring"}, {"name", name}, {"description", std::string(status.message())}}});
      break;
    }
    case 404: errno_value = 110; error = "Not Found"; break;
    case 429: errno_value = 117; error = "Too Many Requests"; break;
    case 503: errno_value = 201; error = "Service Unavailable"; break;
    default: break;
  }
  nlohmann::json body = {{"code", r.status}, {"errno", errno_value}, {"error", error}, {"message", status.message()}};
  if (!details.is_null()) body["details"] = std::move(details);
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// RFC 9110's IMF-fixdate of a time in ms since the epoch.
std::string http_date(std::int64_t millis) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t seconds = millis / 1000;
  if (seconds < 0) seconds = 0;
  const std::int64_t days = seconds / 86400;
  const std::int64_t rest = seconds % 86400;
  int y = 0, m = 0, d = 0;
  civil_from_days(days, y, m, d);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[days % 7], d, kMonths[m - 1], y, rest / 3600,
                     rest / 60 % 60, rest % 60);
}

void add_common_headers(HttpResponse& r, std::int64_t timestamp) {
  r.set_header("ETag", fmt::format("\"{}\"", timestamp));
  r.set_header("Last-Modified", http_date(timestamp));
  r.set_header("Access-Control-Allow-Origin", "*");
  r.set_header("Access-Control-Expose-Headers", std::string(kExposedHeaders));
  r.set_header("Cache-Control", "no-cache");
}

bool not_modified(const HttpRequest& request, std::int64_t timestamp) {
  const std::string_view given = request.header("if-none-match");
  return !given.empty() && given == fmt::format("\"{}\"", timestamp);
}

HttpResponse not_modified_response(std::int64_t timestamp) {
  HttpResponse r;
  r.status = 304;
  add_common_headers(r, timestamp);
  return r;
}

// The URL of the next page: this request's, its _token replaced; the client's own encoding of
// the other parameters is kept.
std::string next_page_url(const HttpRequest& request, const nlohmann::json& cursor) {
  std::string host(request.header("host"));
  if (host.empty()) host = "localhost";
  const std::string_view forwarded = request.header("x-forwarded-proto");
  const std::string scheme = forwarded == "https" ? "https" : "http";
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  std::string query;
  std::string_view rest = request.query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view piece = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto name = percent_decode(piece.substr(0, piece.find('=')), true);
    if (piece.empty() || (name && *name == "_token")) continue;
    if (!query.empty()) query += '&';
    query += piece;
  }
  if (!query.empty()) query += '&';
  query += "_token=" + v1::encode_kinto_token(cursor);
  return fmt::format("{}://{}{}?{}", scheme, host, path, query);
}

class KintoRoutes final : public RouteModule {
 public:
  explicit KintoRoutes(KintoRoutesDeps deps)
      : deps_(deps),
        admission_(std::max<std::size_t>(deps.max_pending, 1)),
        rejected_(deps.metrics.counter("buildhub_kinto_rejected_total",
                                       "Kinto listings refused with 429 because too many were in progress")) {}

  void register_routes(Router& router) override {
    router.add("GET", "/v1/", "kinto_root", [](const HttpRequest&, const RouteParams&) { return root(); });
    router.add("GET", "/v1", "kinto_root", [](const HttpRequest&, const RouteParams&) { return root(); });
    router.add_async("GET", std::string(kRecordsPath), "kinto_records",
                     [this](HttpRequest r, RouteParams, Responder respond) { start(std::move(r), {}, std::move(respond)); });
    router.add_async("GET", std::string(kRecordsPath) + "/{}", "kinto_record",
                     [this](HttpRequest r, RouteParams p, Responder respond) {
                       start(std::move(r), std::move(p[0]), std::move(respond));
                     });
  }

 private:
  static Result<HttpResponse> root() {
    const VersionInfo v = version_info();
    nlohmann::json body = {{"project_name", "buildhub"},
                           {"project_version", std::string(v.version)},
                           {"project_docs", std::string(v.source)},
                           {"http_api_version", "1.17"},
                           {"settings", {{"readonly", true}, {"batch_max_requests", 25}}},
                           {"capabilities", nlohmann::json::object()}};
    HttpResponse r;
    r.body = body.dump();
    r.set_header("Access-Control-Allow-Origin", "*");
    return r;
  }

  void start(HttpRequest request, std::optional<std::string> id, Responder respond) {
    auto ticket = admission_.try_enter();
    if (!ticket) {
      rejected_.inc();
      HttpResponse r = kinto_error(overloaded(
          fmt::format("too many listings in progress ({} running or queued); retry later", admission_.capacity())));
      r.set_header("Retry-After", "1");
      respond(std::move(r));
      return;
    }
    deps_.executor.post([this, request = std::move(request), id = std::move(id), respond,
                         ticket = std::move(*ticket)]() mutable {
      respond(id ? one(request, *id) : list(request));
      ticket.reset();
    });
  }

  HttpResponse one(const HttpRequest& request, const std::string& id) {
    auto record = deps_.records.get(id);
    if (!record) return kinto_error(record.error());
    if (!*record) {
      HttpResponse r = kinto_error(Status(Code::kNotFound, fmt::format("no record with id [{}]", id)),
                                   {{"id", id}, {"resource_name", "record"}});
      r.set_header("Access-Control-Allow-Origin", "*");
      return r;
    }
    if (not_modified(request, (*record)->last_modified)) return not_modified_response((*record)->last_modified);
    HttpResponse r;
    r.body = "{\"data\":" + (*record)->data + "}";
    add_common_headers(r, (*record)->last_modified);
    return r;
  }

  HttpResponse list(const HttpRequest& request) {
    auto params = parse_query(request.query);
    if (!params) return kinto_error(Status(Code::kInvalidArgument, fmt::format("querystring: {}", params.error().message())));
    auto query = v1::parse_kinto_query(*params);
    if (!query) return kinto_error(query.error());
    if (!request.header("if-none-match").empty()) {
      auto timestamp = deps_.records.timestamp();
      if (!timestamp) return kinto_error(timestamp.error());
      if (not_modified(request, *timestamp)) return not_modified_response(*timestamp);
    }
    const std::size_t limit = std::min(query->limit.value_or(deps_.max_page), deps_.max_page);
    auto page = deps_.records.list({.query = *query, .limit = limit});
    if (!page) return kinto_error(page.error());
    HttpResponse r;
    r.body.reserve(page->data.size() + 12);
    r.body = "{\"data\":";
    r.body += page->data;
    r.body += '}';
    add_common_headers(r, page->timestamp);
    r.set_header("Total-Records", std::to_string(page->total));
    if (page->next) r.set_header("Next-Page", next_page_url(request, *page->next));
    return r;
  }

  KintoRoutesDeps deps_;
  Admission admission_;
  Counter& rejected_;
};

}  // namespace

std::unique_ptr<RouteModule> make_kinto_routes(KintoRoutesDeps deps) { return std::make_unique<KintoRoutes>(deps); }

}  // namespace bh
