#include "service/partial_request.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/digest.h"
#include "core/json_nesting.h"
#include "server/url.h"

namespace bh::service {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMaxUrl = 4096;
constexpr std::size_t kMaxField = 128;
constexpr std::size_t kMaxNesting = 8;

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

// URLs (RFC 3986: anything else is percent-encoded), channel ids and versions are ASCII; a form
// body may hold any bytes, and they must not reach the JSON the job is stored as.
bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c != 0x7f; });
}

// Collects every problem so one answer names them all.
class Problems {
 public:
  void add(std::string field, std::string what) { list_.push_back(fmt::format("{}: {}", field, what)); }
  bool empty() const { return list_.empty(); }
  Status status() const {
    std::string text;
    for (const std::string& p : list_) text += (text.empty() ? "" : "; ") + p;
    return invalid_argument(text);
  }

 private:
  std::vector<std::string> list_;
};

void check_url(const std::string& field, const std::string& url, Problems& problems) {
  if (url.size() > kMaxUrl) return problems.add(field, fmt::format("longer than {} characters", kMaxUrl));
  if (!printable_ascii(url) || url.find(' ') != std::string::npos) {
    return problems.add(field, "holds spaces, control characters or non-ASCII bytes (percent-encode them)");
  }
  const std::string l = ascii_lowercase(url.substr(0, 8));
  if (!l.starts_with("http://") && !l.starts_with("https://")) problems.add(field, "not an http:// or https:// URL");
}

void check_hash(const std::string& field, std::string& hash, Problems& problems, bool required) {
  if (hash.empty()) {
    if (required) problems.add(field, "missing");
    return;
  }
  hash = ascii_lowercase(hash);
  if (!is_sha512_hex(hash)) problems.add(field, "not a SHA-512 (128 hexadecimal digits)");
}

void check_option(const std::string& field, const std::optional<std::string>& value, Problems& problems) {
  if (!value) return;
  if (value->empty()) problems.add(field, "empty");
  else if (value->size() > kMaxField) problems.add(field, fmt::format("longer than {} characters", kMaxField));
  else if (!printable_ascii(*value)) problems.add(field, "holds control characters or non-ASCII bytes");
}

Result<nlohmann::json> parse_object(std::string_view body) {
  if (body.size() > kMaxBody) return fail(too_large(fmt::format("the body is larger than {} bytes", kMaxBody)));
  if (!json_nesting_within(body, kMaxNesting)) return fail(invalid_argument("the body nests too deeply"));
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return fail(invalid_argument("the body is not valid JSON"));
  if (!doc.is_object()) return fail(invalid_argument("the body must be a JSON object"));
  return doc;
}

// A string member: absent -> nullopt; not a string -> a problem.
std::optional<std::string> string_member(const nlohmann::json& obj, const char* name, const std::string& field,
                                         Problems& problems) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    problems.add(field, "must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

void check_unknown(const nlohmann::json& obj, std::initializer_list<std::string_view> known, const std::string& where,
                   Problems& problems) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      problems.add(where + (where.empty() ? "" : ".") + key.substr(0, 64), "unknown field");
    }
  }
}

std::optional<PartialSideRequest> parse_side(const nlohmann::json& doc, const char* name, Problems& problems) {
  const auto it = doc.find(name);
  if (it == doc.end()) {
    problems.add(name, "missing");
    return std::nullopt;
  }
  if (!it->is_object()) {
    problems.add(name, "must be an object: {\"url\", \"sha512\"} or a build");
    return std::nullopt;
  }
  const nlohmann::json& side = *it;
  const std::string prefix = name;
  PartialSideRequest out;
  if (side.contains("url")) {
    check_unknown(side, {"url", "sha512"}, prefix, problems);
    MarLocation mar;
    mar.url = string_member(side, "url", prefix + ".url", problems).value_or("");
    mar.sha512 = string_member(side, "sha512", prefix + ".sha512", problems).value_or("");
    if (mar.url.empty()) problems.add(prefix + ".url", "missing");
    else check_url(prefix + ".url", mar.url, problems);
    check_hash(prefix + ".sha512", mar.sha512, problems, true);
    out.mar = std::move(mar);
    return out;
  }
  check_unknown(side, {"build_id", "product", "version", "platform", "locale", "channel", "sha512"}, prefix, problems);
  BuildReference b;
  auto field = [&](const char* key, std::string& into) {
    into = string_member(side, key, prefix + "." + key, problems).value_or("");
    if (into.size() > kMaxField) problems.add(prefix + "." + key, fmt::format("longer than {} characters", kMaxField));
    else if (!printable(into)) problems.add(prefix + "." + key, "holds control characters");
  };
  field("build_id", b.build_id);
  field("product", b.product);
  field("version", b.version);
  field("platform", b.platform);
  field("locale", b.locale);
  field("channel", b.channel);
  b.sha512 = string_member(side, "sha512", prefix + ".sha512", problems).value_or("");
  check_hash(prefix + ".sha512", b.sha512, problems, false);
  const bool by_id = !b.build_id.empty();
  const bool by_version = !b.product.empty() || !b.version.empty() || !b.channel.empty();
  if (!by_id && !by_version) {
    problems.add(prefix, "give {\"url\", \"sha512\"}, {\"build_id\", \"platform\", \"locale\"} or {\"product\", "
                         "\"version\", \"platform\", \"locale\", \"channel\"}");
    return std::nullopt;
  }
  std::vector<const char*> needed = {"platform", "locale"};
  if (!by_id) needed.insert(needed.end(), {"product", "version", "channel"});
  for (const char* key : needed) {
    const std::string& v = std::string_view(key) == "platform" ? b.platform
                           : std::string_view(key) == "locale" ? b.locale
                           : std::string_view(key) == "product" ? b.product
                           : std::string_view(key) == "version" ? b.version
                                                                : b.channel;
    if (v.empty()) problems.add(prefix + "." + key, "missing");
  }
  out.build = std::move(b);
  return out;
}

}  // namespace

bool is_sha512_hex(std::string_view text) {
  return text.size() == 128 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_partial_identifier(std::string_view id) {
  if (id.size() < 3 || id.size() > 300) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-' || c == 'u'; });
}

std::string PartialSpec::identifier() const {
  auto side = [](const MarLocation& m) { return m.sha512.empty() ? "u" + sha256_hex(m.url) : m.sha512; };
  std::string id = side(from) + "-" + side(to);
  if (channel_id || product_version) {
    const std::string options = fmt::format("channel_id={}\nproduct_version={}\n", channel_id.value_or(""),
                                            product_version.value_or(""));
    id += "-" + sha256_hex(options).substr(0, 16);
  }
  return id;
}

std::string PartialSpec::to_json() const {
  nlohmann::json j = {{"from", {{"url", from.url}, {"sha512", from.sha512}}},
                      {"to", {{"url", to.url}, {"sha512", to.sha512}}}};
  if (channel_id) j["channel_id"] = *channel_id;
  if (product_version) j["product_version"] = *product_version;
  // The parsers admit only ASCII here; replacing stays a guard so that no exception can leave.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<PartialSpec> parse_partial_spec_json(std::string_view json) {
  BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(json));
  Problems problems;
  PartialSpec spec;
  for (auto [name, into] : {std::pair{"from", &spec.from}, std::pair{"to", &spec.to}}) {
    const auto it = doc.find(name);
    if (it == doc.end() || !it->is_object()) {
      problems.add(name, "missing");
      continue;
    }
    into->url = string_member(*it, "url", std::string(name) + ".url", problems).value_or("");
    into->sha512 = string_member(*it, "sha512", std::string(name) + ".sha512", problems).value_or("");
    check_url(std::string(name) + ".url", into->url, problems);
    check_hash(std::string(name) + ".sha512", into->sha512, problems, false);
  }
  spec.channel_id = string_member(doc, "channel_id", "channel_id", problems);
  spec.product_version = string_member(doc, "product_version", "product_version", problems);
  if (!problems.empty()) return fail(problems.status());
  return spec;
}

Result<PartialSpec> parse_senbonzakura_request(std::string_view body, std::string_view content_type) {
  if (body.size() > kMaxBody) return fail(too_large(fmt::format("the body is larger than {} bytes", kMaxBody)));
  Problems problems;
  std::optional<std::string> mar_from, mar_to, from_hash, to_hash, channel_id, product_version;
  if (ascii_lowercase(content_type).find("json") != std::string::npos) {
    BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(body));
    mar_from = string_member(doc, "mar_from", "mar_from", problems);
    mar_to = string_member(doc, "mar_to", "mar_to", problems);
    from_hash = string_member(doc, "mar_from_hash", "mar_from_hash", problems);
    to_hash = string_member(doc, "mar_to_hash", "mar_to_hash", problems);
    channel_id = string_member(doc, "channel_id", "channel_id", problems);
    product_version = string_member(doc, "product_version", "product_version", problems);
  } else {
    BH_ASSIGN_OR_RETURN(auto fields, parse_query(body));
    for (auto& [k, v] : fields) {
      std::optional<std::string>* into = k == "mar_from"          ? &mar_from
                                         : k == "mar_to"          ? &mar_to
                                         : k == "mar_from_hash"   ? &from_hash
                                         : k == "mar_to_hash"     ? &to_hash
                                         : k == "channel_id"      ? &channel_id
                                         : k == "product_version" ? &product_version
                                                                  : nullptr;
      if (into == nullptr) continue;  // Senbonzakura ignored other fields too
      if (*into) problems.add(k, "given twice");
      *into = std::move(v);
    }
  }
  PartialSpec spec;
  spec.from.url = mar_from.value_or("");
  spec.to.url = mar_to.value_or("");
  spec.from.sha512 = from_hash.value_or("");
  spec.to.sha512 = to_hash.value_or("");
  if (spec.from.url.empty()) problems.add("mar_from", "missing");
  else check_url("mar_from", spec.from.url, problems);
  if (spec.to.url.empty()) problems.add("mar_to", "missing");
  else check_url("mar_to", spec.to.url, problems);
  check_hash("mar_from_hash", spec.from.sha512, problems, true);
  check_hash("mar_to_hash", spec.to.sha512, problems, true);
  // An empty option is the default, as Senbonzakura's clients send them blank.
  if (channel_id && !channel_id->empty()) spec.channel_id = channel_id;
  if (product_version && !product_version->empty()) spec.product_version = product_version;
  check_option("channel_id", spec.channel_id, problems);
  check_option("product_version", spec.product_version, problems);
  if (!problems.empty()) return fail(problems.status());
  return spec;
}

Result<PartialApiRequest> parse_partial_api_request(std::string_view body) {
  BH_ASSIGN_OR_RETURN(nlohmann::json doc, parse_object(body));
  Problems problems;
  check_unknown(doc, {"from", "to", "channel_id", "product_version"}, "", problems);
  PartialApiRequest out;
  auto from = parse_side(doc, "from", problems);
  auto to = parse_side(doc, "to", problems);
  out.channel_id = string_member(doc, "channel_id", "channel_id", problems);
  out.product_version = string_member(doc, "product_version", "product_version", problems);
  check_option("channel_id", out.channel_id, problems);
  check_option("product_version", out.product_version, problems);
  if (!problems.empty()) return fail(problems.status());
  out.from = std::move(*from);
  out.to = std::move(*to);
  return out;
}

}  // namespace bh::service
