#include "server/records_routes.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/json_response.h"

namespace bh {
namespace {

class RecordsRoutes final : public RouteModule {
 public:
  explicit RecordsRoutes(RecordsRoutesDeps deps)
      : deps_(deps), records_gauge_(deps.metrics.gauge("buildhub_records", "Records in the store")) {}

  void register_routes(Router& router) override {
    router.add("GET", "/api/records", "records_count", [this](const HttpRequest&, const RouteParams&) { return count(); });
    router.add("GET", "/api/records/{}", "record",
               [this](const HttpRequest&, const RouteParams& p) { return by_id(p[0]); });
  }

 private:
  Result<HttpResponse> count() {
    BH_ASSIGN_OR_RETURN(std::int64_t total, deps_.store.count());
    records_gauge_.set(static_cast<double>(total));
    return json_response({{"builds", {{"total", total}}}});
  }

  Result<HttpResponse> by_id(const std::string& id_text) {
    RecordId id = 0;
    const auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || ptr != id_text.data() + id_text.size() || id <= 0) {
      return fail(Code::kNotFound, fmt::format("no record with id [{}]: ids are positive integers", id_text));
    }
    BH_ASSIGN_OR_RETURN(auto record, deps_.store.get(id));
    if (!record) return fail(Code::kNotFound, fmt::format("no record with id {}", id));
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    doc["id"] = id;
    try {
      const auto parsed = nlohmann::ordered_json::parse(record->document);
      if (parsed.is_object()) {
        for (const auto& [k, v] : parsed.items()) doc[k] = v;
      }
    } catch (const std::exception&) {
      return fail(Code::kCorrupt, fmt::format("record {} is stored but does not parse as JSON", id));
    }
    HttpResponse r;
    r.body = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return r;
  }

  RecordsRoutesDeps deps_;
  Gauge& records_gauge_;
};

}  // namespace

std::unique_ptr<RouteModule> make_records_routes(RecordsRoutesDeps deps) { return std::make_unique<RecordsRoutes>(deps); }

}  // namespace bh
