#include "cli/mar_args.h"

#include <gtest/gtest.h>

namespace bh::cli {
namespace {

Result<MarArgs> parse(std::vector<std::string_view> args) { return parse_mar_args(args); }

TEST(MarArgs, MozillaCreateLine) {
  auto a = parse({"-H", "firefox-mozilla-release", "-V", "153.0", "-C", "work", "-c", "out.mar", "a", "b/c"});
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->command, 'c');
  EXPECT_EQ(*a->channel, "firefox-mozilla-release");
  EXPECT_EQ(*a->version, "153.0");
  EXPECT_EQ(a->operands, (std::vector<std::string>{"out.mar", "a", "b/c"}));
  EXPECT_EQ(resolve_path(*a, "out.mar"), std::filesystem::path("work/out.mar"));
  EXPECT_EQ(resolve_path(*a, "/abs.mar"), std::filesystem::path("/abs.mar"));
}

TEST(MarArgs, CertificatesAndSignatureIndexes) {
  auto v = parse({"-D0", "a.der", "-D1", "b.der", "-v", "x.mar"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->public_keys, (std::vector<std::string>{"a.der", "b.der"}));
  EXPECT_FALSE(parse({"-D1", "a.der", "-v", "x.mar"}));  // out of order, as Mozilla's tool refuses
  auto x = parse({"-n1", "-X", "in.mar", "sig.b64"});
  ASSERT_TRUE(x);
  EXPECT_EQ(x->command, 'X');
  EXPECT_EQ(x->signature_index, 1);
  auto nss = parse({"-d", "nssdb", "-n", "cert", "-s", "a", "b"});
  ASSERT_TRUE(nss);
  EXPECT_EQ(nss->cert_names, (std::vector<std::string>{"cert"}));
}

TEST(MarArgs, LongOptionsAnywhere) {
  auto a = parse({"-x", "a.mar", "--decompress", "--jobs=3"});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->decompress);
  EXPECT_EQ(a->jobs, 3u);
  EXPECT_EQ(a->operands, (std::vector<std::string>{"a.mar"}));
  auto c = parse({"--compress", "xz", "--x86", "--xz-preset", "7e", "-H", "c", "-V", "1", "-c", "o.mar", "--", "--odd-name"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compression, compress::Compression::kXz);
  EXPECT_TRUE(c->xz.x86_bcj);
  EXPECT_EQ(c->xz.preset, 7u);
  EXPECT_TRUE(c->xz.extreme);
  EXPECT_EQ(c->operands, (std::vector<std::string>{"o.mar", "--odd-name"}));
  auto s = parse({"--key", "k.pem", "--signature-algorithm=sha1", "-s", "a", "b"});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signature_algorithm, mar::SignatureAlgorithm::kRsaPkcs1Sha1);
  EXPECT_EQ(s->private_keys, (std::vector<std::string>{"k.pem"}));
}

TEST(MarArgs, UsageErrors) {
  for (const std::vector<std::string_view>& bad :
       {std::vector<std::string_view>{}, {"-H"}, {"-Q", "-t", "a"}, {"--compress", "lz4", "-t", "a"},
        {"--xz-preset", "12", "-t", "a"}, {"--jobs", "many", "-t", "a"}, {"--json=yes", "-t", "a"},
        {"--nope", "-t", "a"}, {"-n", "-X"}, {"--signature-algorithm", "md5", "-t", "a"}, {"-C"}}) {
    EXPECT_FALSE(parse(bad)) << (bad.empty() ? "(nothing)" : bad[0]);
  }
  auto help = parse({"--help"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->show_help);
  EXPECT_NE(mar_usage().find("-n(i) -X"), std::string::npos);
}

}  // namespace
}  // namespace bh::cli
