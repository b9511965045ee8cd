#include "net/s3_client.h"

#include <cstdlib>
#include <regex>

#include <fmt/format.h>

#include "core/digest.h"

namespace bh::net {
namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SplitUrl {
  std::string scheme;
  std::string authority;  // host[:port]
  std::string path;       // without the leading "/"
};

Result<SplitUrl> split_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return fail(invalid_argument(fmt::format("[{}] is not a URL: expected s3://bucket/prefix or http(s)://host/bucket", url)));
  }
  SplitUrl out;
  out.scheme = std::string(url.substr(0, sep));
  for (char& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(invalid_argument(fmt::format("[{}]: a bucket URL has no query or fragment", url)));
  }
  const auto slash = rest.find('/');
  out.authority = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash + 1));
  if (out.authority.empty()) return fail(invalid_argument(fmt::format("[{}] names no host", url)));
  if (out.authority.find('@') != std::string::npos) {
    return fail(invalid_argument(fmt::format("[{}]: credentials go in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, not the URL", url)));
  }
  return out;
}

// "bucket/some/prefix" -> bucket, "some/prefix".
void split_bucket_path(const std::string& path, std::string& bucket, std::string& prefix) {
  const auto slash = path.find('/');
  bucket = path.substr(0, slash);
  prefix = slash == std::string::npos ? "" : path.substr(slash + 1);
}

bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
          (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

std::string aws_endpoint(const std::string& bucket, const std::string& region, bool& path_style) {
  path_style = bucket.find('.') != std::string::npos;  // dots break the wildcard certificate
  if (path_style) return fmt::format("https://s3.{}.amazonaws.com", region);
  return fmt::format("https://{}.s3.{}.amazonaws.com", bucket, region);
}

std::string host_of(const std::string& endpoint) {
  const auto sep = endpoint.find("://");
  return sep == std::string::npos ? endpoint : endpoint.substr(sep + 3);
}

}  // namespace

std::string S3Location::describe() const {
  return prefix.empty() ? fmt::format("s3://{}", bucket) : fmt::format("s3://{}/{}", bucket, prefix);
}

S3UrlDefaults s3_defaults_from_environment(std::string endpoint_override) {
  S3UrlDefaults d;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      d.region = v;
      break;
    }
  }
  d.endpoint_override = std::move(endpoint_override);
  return d;
}

Result<S3Location> parse_bucket_url(std::string_view url, const S3UrlDefaults& defaults) {
  BH_ASSIGN_OR_RETURN(SplitUrl u, split_url(url));
  S3Location loc;
  loc.region = defaults.region;
  if (u.scheme == "s3") {
    loc.bucket = u.authority;
    loc.prefix = u.path;
    if (!valid_bucket_name(loc.bucket)) {
      return fail(invalid_argument(fmt::format("[{}] is not a bucket name", loc.bucket)));
    }
    if (!defaults.endpoint_override.empty()) {
      BH_ASSIGN_OR_RETURN(SplitUrl e, split_url(defaults.endpoint_override));
      if (e.scheme != "http" && e.scheme != "https") {
        return fail(invalid_argument(fmt::format("endpoint [{}] is not http(s)", defaults.endpoint_override)));
      }
      loc.endpoint = e.scheme + "://" + e.authority;
      loc.path_style = true;
    } else {
      loc.endpoint = aws_endpoint(loc.bucket, loc.region, loc.path_style);
    }
    return loc;
  }
  if (u.scheme != "http" && u.scheme != "https") {
    return fail(invalid_argument(fmt::format("[{}]: a bucket URL starts with s3://, https:// or http://", url)));
  }
  std::string host = u.authority;
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Buildhub2 reads the region out of the host with this very pattern.
  static const std::regex kAwsPathStyle(R"(^s3(?:[.-](.*?))?\.amazonaws\.com$)");
  static const std::regex kAwsVirtual(R"(^(.+)\.s3(?:[.-](.*?))?\.amazonaws\.com$)");
  std::smatch m;
  if (std::regex_match(host, m, kAwsPathStyle)) {
    if (m[1].matched && !m[1].str().empty() && m[1].str() != "external-1") loc.region = m[1].str();
    split_bucket_path(u.path, loc.bucket, loc.prefix);
    loc.endpoint = u.scheme + "://" + u.authority;
    loc.path_style = true;
  } else if (std::regex_match(host, m, kAwsVirtual)) {
    loc.bucket = m[1].str();
    if (m[2].matched && !m[2].str().empty()) loc.region = m[2].str();
    loc.prefix = u.path;
    loc.endpoint = u.scheme + "://" + u.authority;
    loc.path_style = false;
  } else {
    split_bucket_path(u.path, loc.bucket, loc.prefix);
    loc.endpoint = u.scheme + "://" + u.authority;
    loc.path_style = true;
  }
  if (!defaults.endpoint_override.empty()) {
    BH_ASSIGN_OR_RETURN(SplitUrl e, split_url(defaults.endpoint_override));
    loc.endpoint = e.scheme + "://" + e.authority;
    loc.path_style = true;
  }
  if (loc.bucket.empty()) return fail(invalid_argument(fmt::format("[{}] names no bucket", url)));
  if (!valid_bucket_name(loc.bucket)) return fail(invalid_argument(fmt::format("[{}] is not a bucket name", loc.bucket)));
  return loc;
}

S3Client::S3Client(HttpClient& http, S3Location location, std::optional<AwsCredentials> credentials, const Clock& clock)
    : http_(http), location_(std::move(location)), credentials_(std::move(credentials)), clock_(clock) {}

HttpCall S3Client::signed_call(std::string method, std::string path, HeaderList query) const {
  HttpCall call;
  call.method = std::move(method);
  std::string query_string;
  for (const auto& [k, v] : query) {
    query_string += query_string.empty() ? "?" : "&";
    query_string += aws_uri_encode(k, true) + "=" + aws_uri_encode(v, true);
  }
  call.url = location_.endpoint + path + query_string;
  call.headers.emplace_back("x-amz-content-sha256", kEmptySha256);
  if (credentials_) {
    call.sign = [this, method = call.method, path, query = std::move(query)]() {
      SigningRequest r;
      r.method = method;
      const std::string host = host_of(location_.endpoint);
      r.host = host;
      r.canonical_uri = path;
      r.query = query;
      r.headers = {{"x-amz-content-sha256", kEmptySha256}};
      r.payload_sha256 = kEmptySha256;
      r.region = location_.region;
      r.service = "s3";
      r.time = clock_.wall_now();
      return sign_v4(r, *credentials_).headers_to_add;
    };
  }
  return call;
}

Status S3Client::error_of(const HttpCall& call, const HttpReply& reply, std::string_view what) const {
  const auto err = parse_s3_error(reply.body);
  const std::string detail =
      err ? fmt::format("{} ({}: {})", reply.status, err->code, err->message) : fmt::format("HTTP {}", reply.status);
  const std::string message = fmt::format("{} {}: {} (after {} attempts)", what, call.url, detail, reply.attempts);
  if (reply.status == 404) return not_found(fmt::format("{} {}: {}", what, call.url, detail));
  if (reply.status == 403 || reply.status == 401) {
    return unavailable(fmt::format("{} {}: S3 refused access: {}; check the credentials and the bucket policy", what,
                                   call.url, detail));
  }
  return unavailable(message);
}

Result<S3ListPage> S3Client::list_page(const ListRequest& request, std::stop_token stop) const {
  HeaderList query = {{"list-type", "2"}, {"max-keys", std::to_string(request.max_keys)}, {"encoding-type", "url"}};
  if (!request.prefix.empty()) query.emplace_back("prefix", request.prefix);
  if (!request.continuation_token.empty()) query.emplace_back("continuation-token", request.continuation_token);
  if (!request.start_after.empty()) query.emplace_back("start-after", request.start_after);
  if (!request.delimiter.empty()) query.emplace_back("delimiter", request.delimiter);
  const std::string path = location_.path_style ? "/" + aws_uri_encode(location_.bucket, true) + "/" : "/";
  HttpCall call = signed_call("GET", path, std::move(query));
  call.max_response_bytes = 64u << 20;
  call.stop = std::move(stop);
  BH_ASSIGN_OR_RETURN(HttpReply reply, http_.send(call));
  if (reply.status != 200) return fail(error_of(call, reply, "listing"));
  auto page = parse_list_objects_v2(reply.body);
  if (!page) return fail(unavailable(fmt::format("listing {}: the answer is not a listing: {}", call.url,
                                                 page.error().message())));
  return page;
}

Result<S3ObjectBytes> S3Client::get_object(std::string_view key, std::size_t max_bytes, std::stop_token stop) const {
  if (key.empty()) return fail(invalid_argument("an empty S3 key"));
  const std::string path = (location_.path_style ? "/" + aws_uri_encode(location_.bucket, true) : std::string()) + "/" +
                           aws_uri_encode(key, false);
  HttpCall call = signed_call("GET", path, {});
  call.max_response_bytes = max_bytes;
  call.stop = std::move(stop);
  BH_ASSIGN_OR_RETURN(HttpReply reply, http_.send(call));
  if (reply.status != 200) return fail(error_of(call, reply, "reading"));
  return S3ObjectBytes{std::move(reply.body), strip_etag_quotes(reply.header("etag"))};
}

}  // namespace bh::net
