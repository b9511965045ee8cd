#include "net/aws_sigv4.h"

#include "core/ascii.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/digest.h"
#include "core/hex.h"

namespace bh::net {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// Trims the value and collapses inner runs of spaces to one, as AWS's canonical headers do.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<AwsCredentials> credentials_from_environment(const std::function<const char*(const char*)>& getenv) {
  const char* id = getenv("AWS_ACCESS_KEY_ID");
  const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
  if (id == nullptr || secret == nullptr || *id == '\0' || *secret == '\0') return std::nullopt;
  AwsCredentials c{id, secret, ""};
  if (const char* token = getenv("AWS_SESSION_TOKEN"); token != nullptr) c.session_token = token;
  return c;
}

std::string aws_uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string amz_date_time(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SignedRequest sign_v4(const SigningRequest& request, const AwsCredentials& credentials) {
  SignedRequest out;
  const std::string date_time = amz_date_time(request.time);
  const std::string date = date_time.substr(0, 8);

  HeaderList headers;
  headers.emplace_back("host", canonical_value(request.host));
  headers.emplace_back("x-amz-date", date_time);
  if (!credentials.session_token.empty()) headers.emplace_back("x-amz-security-token", credentials.session_token);
  for (const auto& [name, value] : request.headers) headers.emplace_back(ascii_lowercase(name), canonical_value(value));
  std::sort(headers.begin(), headers.end());
  // Repeated names are signed once, their values joined by commas.
  HeaderList merged;
  for (auto& [name, value] : headers) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += "," + value;
    } else {
      merged.emplace_back(name, value);
    }
  }

  HeaderList query;
  for (const auto& [name, value] : request.query) {
    query.emplace_back(aws_uri_encode(name, true), aws_uri_encode(value, true));
  }
  std::sort(query.begin(), query.end());

  std::string canonical_query;
  for (const auto& [name, value] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    canonical_query += name + "=" + value;
  }
  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : merged) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }
  const std::string_view uri = request.canonical_uri.empty() ? std::string_view("/") : request.canonical_uri;
  out.canonical_request = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, uri, canonical_query,
                                      canonical_headers, signed_headers, request.payload_sha256);
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", date, request.region, request.service);
  out.string_to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date_time, scope, sha256_hex(out.canonical_request));
  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, request.region);
  key = hmac_sha256(key, request.service);
  key = hmac_sha256(key, "aws4_request");
  out.signature = to_hex_lower(hmac_sha256(key, out.string_to_sign));

  out.headers_to_add.emplace_back("x-amz-date", date_time);
  if (!credentials.session_token.empty()) out.headers_to_add.emplace_back("x-amz-security-token", credentials.session_token);
  out.headers_to_add.emplace_back(
      "authorization", fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                                   credentials.access_key_id, scope, signed_headers, out.signature));
  return out;
}

}  // namespace bh::net
