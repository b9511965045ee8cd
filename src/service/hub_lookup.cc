#include "service/hub_lookup.h"

#include <array>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/aws_sigv4.h"

namespace bh::service {
namespace {

constexpr std::array<std::string_view, 11> kPlaceholders = {
    "product", "version", "platform", "locale", "channel", "build_id", "revision", "tree",
    "download_url", "download_dir", "download_base"};

// RFC 3986 unreserved characters stay, everything else is %XX (as SigV4 encodes a key).
std::string percent_encode(std::string_view s) { return net::aws_uri_encode(s, true); }

std::string text_at(const nlohmann::json& doc, const char* a, const char* b) {
  const auto x = doc.find(a);
  if (x == doc.end() || !x->is_object()) return {};
  const auto y = x->find(b);
  return y != x->end() && y->is_string() ? y->get<std::string>() : std::string();
}

std::string describe(const BuildReference& b) {
  std::string out;
  auto add = [&out](const char* name, const std::string& v) {
    if (!v.empty()) out += fmt::format("{}{}={}", out.empty() ? "" : ", ", name, v);
  };
  add("build_id", b.build_id);
  add("product", b.product);
  add("version", b.version);
  add("platform", b.platform);
  add("locale", b.locale);
  add("channel", b.channel);
  return out;
}

template <typename Visit>
Status walk_template(std::string_view t, Visit visit) {
  std::size_t i = 0;
  while (i < t.size()) {
    const auto open = t.find('{', i);
    visit(t.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i), false);
    if (open == std::string_view::npos) break;
    const auto close = t.find('}', open);
    if (close == std::string_view::npos) return invalid_argument(fmt::format("unclosed '{{' in the URL template {}", t));
    const std::string_view name = t.substr(open + 1, close - open - 1);
    if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
      return invalid_argument(fmt::format("unknown placeholder {{{}}} in the URL template", name));
    }
    visit(name, true);
    i = close + 1;
  }
  return {};
}

}  // namespace

Status check_url_template(std::string_view url_template) {
  return walk_template(url_template, [](std::string_view, bool) {});
}

std::string build_search_body(const BuildReference& b) {
  nlohmann::json filter = nlohmann::json::array();
  auto term = [&filter](const char* field, const std::string& v) {
    if (!v.empty()) filter.push_back({{"term", {{field, v}}}});
  };
  term("build.id", b.build_id);
  term("source.product", b.product);
  term("target.version", b.version);
  term("target.platform", b.platform);
  term("target.locale", b.locale);
  term("target.channel", b.channel);
  return nlohmann::json{{"size", 2}, {"track_total_hits", true}, {"query", {{"bool", {{"filter", filter}}}}}}.dump();
}

Result<std::string> expand_url_template(std::string_view url_template, std::string_view record_json) {
  const nlohmann::json doc = nlohmann::json::parse(record_json, nullptr, false);
  if (!doc.is_object()) return fail(internal_error("the record is not a JSON object"));
  std::map<std::string_view, std::string> values;
  values["product"] = percent_encode(text_at(doc, "source", "product"));
  values["version"] = percent_encode(text_at(doc, "target", "version"));
  const std::string platform = text_at(doc, "target", "platform");
  const std::string locale = text_at(doc, "target", "locale");
  values["platform"] = percent_encode(platform);
  values["locale"] = percent_encode(locale);
  values["channel"] = percent_encode(text_at(doc, "target", "channel"));
  values["build_id"] = percent_encode(text_at(doc, "build", "id"));
  values["revision"] = percent_encode(text_at(doc, "source", "revision"));
  values["tree"] = percent_encode(text_at(doc, "source", "tree"));
  const std::string url = text_at(doc, "download", "url");
  values["download_url"] = url;
  std::string dir = url.substr(0, url.rfind('/') == std::string::npos ? 0 : url.rfind('/'));
  values["download_dir"] = dir;
  const std::string tail = "/" + platform + "/" + locale;
  values["download_base"] = !platform.empty() && dir.ends_with(tail) ? dir.substr(0, dir.size() - tail.size()) : dir;
  std::string out;
  std::string missing;
  BH_RETURN_IF_ERROR(walk_template(url_template, [&](std::string_view piece, bool placeholder) {
    if (!placeholder) {
      out += piece;
      return;
    }
    const std::string& v = values[piece];
    if (v.empty() && missing.empty()) missing = std::string(piece);
    out += v;
  }));
  if (!missing.empty()) {
    return fail(invalid_argument(fmt::format("the record has no value for {{{}}} of the URL template", missing)));
  }
  return out;
}

Result<MarLocation> find_complete_mar(const BuildReference& build, const HubSearch& search,
                                      std::string_view url_template) {
  BH_ASSIGN_OR_RETURN(std::string answer, search(build_search_body(build)));
  const nlohmann::json doc = nlohmann::json::parse(answer, nullptr, false);
  const auto hits = doc.is_object() ? doc.find("hits") : doc.end();
  if (hits == doc.end() || !hits->is_object() || !hits->contains("hits") || !(*hits)["hits"].is_array()) {
    return fail(internal_error("the search answered without hits"));
  }
  const nlohmann::json& list = (*hits)["hits"];
  if (list.empty()) return fail(not_found(fmt::format("no build in the hub matches {}", describe(build))));
  if (list.size() > 1) {
    std::int64_t total = 2;
    if (hits->contains("total") && (*hits)["total"].is_object()) total = (*hits)["total"].value("value", std::int64_t{2});
    return fail(conflict(fmt::format("{} builds in the hub match {}; name one (add the channel, or the build_id)",
                                     total, describe(build))));
  }
  const auto source = list[0].find("_source");
  if (source == list[0].end()) return fail(internal_error("the search answered without _source"));
  MarLocation out;
  BH_ASSIGN_OR_RETURN(out.url, expand_url_template(url_template, source->dump()));
  out.sha512 = build.sha512;
  return out;
}

}  // namespace bh::service
