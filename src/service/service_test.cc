#include <gtest/gtest.h>

#include "server/byte_range.h"
#include "service/hub_lookup.h"
#include "service/mar_fetcher.h"
#include "service/partial_request.h"

namespace bh::service {
namespace {

const std::string kA(128, 'a');
const std::string kB(128, 'b');

TEST(PartialRequest, SenbonzakuraFormAndIdentifier) {
  auto spec = parse_senbonzakura_request(
      "mar_from=http%3A%2F%2Fh%2Fa.mar&mar_to=https://h/b.mar&mar_from_hash=" + kA + "&mar_to_hash=" + kB + "&channel_id=&x=1",
      "application/x-www-form-urlencoded");
  ASSERT_TRUE(spec) << spec.error().to_string();
  EXPECT_EQ(spec->from.url, "http://h/a.mar");
  EXPECT_EQ(spec->identifier(), kA + "-" + kB);  // blank options are the defaults
  spec->channel_id = "release";
  const std::string with_options = spec->identifier();
  EXPECT_EQ(with_options.size(), 128 * 2 + 1 + 17);
  spec->channel_id = "beta";
  EXPECT_NE(spec->identifier(), with_options);
  auto back = parse_partial_spec_json(spec->to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->identifier(), spec->identifier());
}

TEST(PartialRequest, EveryProblemIsNamed) {
  auto spec = parse_senbonzakura_request("mar_from=ftp://x&mar_to_hash=XYZ", "");
  ASSERT_FALSE(spec);
  const std::string m = spec.error().message();
  for (const char* field : {"mar_from: not an http", "mar_to: missing", "mar_from_hash: missing", "mar_to_hash: not a SHA-512"}) {
    EXPECT_NE(m.find(field), std::string::npos) << m;
  }
  EXPECT_FALSE(parse_senbonzakura_request("{", "application/json"));
  // Bytes that are not ASCII (here not even UTF-8) in a form's URL or option: refused, named.
  auto binary = parse_senbonzakura_request("mar_from=http://h/a\xfe\xff.mar&mar_to=http://h/b&mar_from_hash=" + kA +
                                               "&mar_to_hash=" + kB + "&channel_id=r%FF",
                                           "");
  ASSERT_FALSE(binary);
  EXPECT_NE(binary.error().message().find("mar_from: holds"), std::string::npos) << binary.error().message();
  EXPECT_NE(binary.error().message().find("channel_id: holds"), std::string::npos) << binary.error().message();
  EXPECT_FALSE(parse_partial_api_request(std::string(200, '[')));
  auto api = parse_partial_api_request(R"({"from": {"build_id": "1"}, "to": {"url": "http://h/x", "sha512": "1"}, "y": 2})");
  ASSERT_FALSE(api);
  for (const char* field : {"from.platform: missing", "from.locale: missing", "to.sha512: not a SHA-512", "y: unknown field"}) {
    EXPECT_NE(api.error().message().find(field), std::string::npos) << api.error().message();
  }
}

TEST(PartialRequest, ApiSidesByUrlAndByBuild) {
  auto api = parse_partial_api_request(R"({"from": {"build_id": "20260101", "platform": "linux-x86_64", "locale": "de"},
      "to": {"product": "firefox", "version": "2.0", "platform": "linux-x86_64", "locale": "de", "channel": "release"}})");
  ASSERT_TRUE(api) << api.error().to_string();
  ASSERT_TRUE(api->from.build);
  EXPECT_EQ(api->from.build->locale, "de");
  ASSERT_TRUE(api->to.build);
  EXPECT_EQ(api->to.build->version, "2.0");
}

TEST(FetchPolicy, UrlsHostsAndAddresses) {
  auto u = parse_fetch_url("HTTPS://Archive.Mozilla.org/pub/x.mar?a=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "archive.mozilla.org");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/pub/x.mar?a=1");
  EXPECT_FALSE(parse_fetch_url("http://user:pw@host/x"));
  EXPECT_FALSE(parse_fetch_url("file:///etc/passwd"));
  EXPECT_FALSE(parse_fetch_url("http://host:99999/"));
  auto v6 = parse_fetch_url("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->text(), "http://[::1]:8080/x");
  EXPECT_TRUE(host_matches({"*.mozilla.net"}, "download.cdn.mozilla.net"));
  EXPECT_FALSE(host_matches({"*.mozilla.net"}, "evilmozilla.net"));
  EXPECT_FALSE(host_matches({"archive.mozilla.org"}, "archive.mozilla.org.evil.com"));
  EXPECT_TRUE(host_matches({"*"}, "anything"));
  EXPECT_EQ(internal_address_kind("127.0.0.1"), "loopback");
  EXPECT_EQ(internal_address_kind("10.1.2.3"), "private");
  EXPECT_EQ(internal_address_kind("172.20.0.1"), "private");
  EXPECT_EQ(internal_address_kind("192.168.1.1"), "private");
  EXPECT_EQ(internal_address_kind("169.254.169.254"), "link-local");
  EXPECT_EQ(internal_address_kind("::1"), "loopback");
  EXPECT_EQ(internal_address_kind("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(internal_address_kind("fd00::1"), "private (unique local)");
  EXPECT_EQ(internal_address_kind("fe80::1"), "link-local");
  EXPECT_EQ(internal_address_kind("0.0.0.0"), "unspecified");
  EXPECT_EQ(internal_address_kind("93.184.216.34"), "");
  EXPECT_EQ(internal_address_kind("2a02:26f0::1"), "");
  auto loc = resolve_location(*u, "../y.mar");
  ASSERT_TRUE(loc);
  EXPECT_EQ(*loc, "https://archive.mozilla.org/pub/../y.mar");
  EXPECT_EQ(resolve_location(*u, "/z").value(), "https://archive.mozilla.org/z");
  EXPECT_EQ(resolve_location(*u, "http://other/a").value(), "http://other/a");
  EXPECT_FALSE(resolve_location(*u, "gopher://x/"));
}

TEST(HubLookup, TemplatesAndMatches) {
  const std::string record = R"({"source": {"product": "firefox", "revision": "abc", "tree": "t"},
      "target": {"version": "57.0", "platform": "linux-x86_64", "locale": "en-US", "channel": "release"},
      "build": {"id": "20171024165158"},
      "download": {"url": "https://archive.mozilla.org/pub/firefox/releases/57.0/linux-x86_64/en-US/firefox-57.0.tar.bz2"}})";
  auto url = expand_url_template(kDefaultMarUrlTemplate, record);
  ASSERT_TRUE(url);
  EXPECT_EQ(*url, "https://archive.mozilla.org/pub/firefox/releases/57.0/update/linux-x86_64/en-US/firefox-57.0.complete.mar");
  EXPECT_FALSE(check_url_template("{download_dir}/{nope}"));
  EXPECT_FALSE(check_url_template("{download_dir"));
  BuildReference ref{.build_id = "20171024165158", .product = "", .version = "", .platform = "linux-x86_64",
                     .locale = "en-US", .channel = "", .sha512 = ""};
  auto none = find_complete_mar(ref, [](const std::string&) -> Result<std::string> { return std::string(R"({"hits":{"total":{"value":0},"hits":[]}})"); },
                                kDefaultMarUrlTemplate);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kNotFound);
  EXPECT_NE(none.error().message().find("build_id=20171024165158"), std::string::npos);
  auto two = find_complete_mar(ref, [&](const std::string&) -> Result<std::string> {
    return R"({"hits":{"total":{"value":2},"hits":[{"_source":)" + record + "},{\"_source\":" + record + "}]}}";
  }, kDefaultMarUrlTemplate);
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code(), Code::kConflict);
  auto one = find_complete_mar(ref, [&](const std::string& body) -> Result<std::string> {
    EXPECT_NE(body.find("\"build.id\""), std::string::npos);
    return R"({"hits":{"total":{"value":1},"hits":[{"_source":)" + record + "}]}}";
  }, kDefaultMarUrlTemplate);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->url, *url);
}

TEST(ByteRange, SingleRangesOnly) {
  EXPECT_EQ(parse_byte_range("bytes=0-9", 100).outcome, RangeOutcome::kPartial);
  EXPECT_EQ(parse_byte_range("bytes=90-", 100).range.last, 99u);
  EXPECT_EQ(parse_byte_range("bytes=-10", 100).range.first, 90u);
  EXPECT_EQ(parse_byte_range("bytes=5-500", 100).range.last, 99u);
  EXPECT_EQ(parse_byte_range("bytes=100-", 100).outcome, RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range("bytes=0-1,5-6", 100).outcome, RangeOutcome::kWhole);
  EXPECT_EQ(parse_byte_range("items=0-1", 100).outcome, RangeOutcome::kWhole);
  EXPECT_EQ(parse_byte_range("bytes=9-3", 100).outcome, RangeOutcome::kWhole);
  EXPECT_EQ(parse_byte_range("bytes=99999999999999999999-", 100).outcome, RangeOutcome::kWhole);
}

}  // namespace
}  // namespace bh::service
