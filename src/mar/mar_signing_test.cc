#include "mar/mar_signing.h"

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "mar/mar_test_support.h"

namespace bh::mar {
namespace {

using testing::bytes_of;
using testing::fixture;

MarKey fixture_public_key() {
  const std::string pem = bh::testing::read_text(fixture("build-mar-tests/test.pubkey"));
  auto key = MarKey::load_public(bytes_of(pem));
  EXPECT_TRUE(key) << key.error().to_string();
  return *key;
}

MarArchive open_bytes(const std::string& bytes) {
  auto a = MarArchive::from_bytes(bytes);
  EXPECT_TRUE(a) << a.error().to_string();
  return *a;
}

// Generating RSA keys takes a while; the tests share two.
class MarSigning : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_a_ = new MarKey(*MarKey::generate_rsa(2048));
    key_b_ = new MarKey(*MarKey::generate_rsa(2048));
  }
  static void TearDownTestSuite() {
    delete key_a_;
    delete key_b_;
  }
  static MarKey public_of(const MarKey& k) {
    const std::string pem = *k.public_pem();
    return *MarKey::load_public(bytes_of(pem));
  }
  static MarKey* key_a_;
  static MarKey* key_b_;
};
MarKey* MarSigning::key_a_ = nullptr;
MarKey* MarSigning::key_b_ = nullptr;

TEST_F(MarSigning, TheFixtureSignatureVerifiesAndAFlippedByteFails) {
  auto archive = MarArchive::open_file(fixture("build-mar-tests/test-bz2.mar"));
  ASSERT_TRUE(archive);
  const MarKey key = fixture_public_key();
  const Status ok = verify_signatures(*archive, {key});
  EXPECT_TRUE(ok) << ok.to_string();

  const std::string original(as_chars(archive->bytes()));
  // A flipped byte in an entry, in the product information block, in a size field, and in the
  // signature itself: each must fail (the first three are signed bytes).
  for (const std::size_t at : {std::size_t{1000}, std::size_t{0x130}, std::size_t{0x3e1}, std::size_t{0x30}}) {
    std::string damaged = original;
    damaged[at] ^= 0x01;
    auto reopened = MarArchive::from_bytes(damaged);
    if (!reopened) continue;  // the flip broke the structure: also a refusal
    const Status s = verify_signatures(*reopened, {key});
    EXPECT_FALSE(s) << "flip at " << at << " still verified";
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
  }
  EXPECT_FALSE(verify_signatures(*archive, {}));
  EXPECT_FALSE(verify_signatures(*archive, {key, key}));
}

TEST_F(MarSigning, SignThenVerifyWithBothAlgorithmsAndTwoKeys) {
  auto unsigned_mar = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  ASSERT_TRUE(unsigned_mar);
  for (const SignatureAlgorithm alg : {SignatureAlgorithm::kRsaPkcs1Sha384, SignatureAlgorithm::kRsaPkcs1Sha1}) {
    auto signed_bytes = sign_archive(*unsigned_mar, {{*key_a_, alg}});
    ASSERT_TRUE(signed_bytes) << signed_bytes.error().to_string();
    MarArchive s = open_bytes(*signed_bytes);
    ASSERT_EQ(s.signatures().size(), 1u);
    EXPECT_EQ(s.signatures()[0].algorithm_id, static_cast<std::uint32_t>(alg));
    EXPECT_EQ(s.signatures()[0].size, 256u);
    EXPECT_TRUE(verify_signatures(s, {public_of(*key_a_)}));
    EXPECT_FALSE(verify_signatures(s, {public_of(*key_b_)}));
    EXPECT_FALSE(verify_signatures(s, {fixture_public_key()}));
  }
  auto two = sign_archive(*unsigned_mar, {{*key_a_}, {*key_b_}});
  ASSERT_TRUE(two);
  MarArchive t = open_bytes(*two);
  EXPECT_TRUE(verify_signatures(t, {public_of(*key_a_), public_of(*key_b_)}));
  EXPECT_FALSE(verify_signatures(t, {public_of(*key_b_), public_of(*key_a_)}));
  // Re-signing replaces the old signatures rather than adding to them.
  auto resigned = sign_archive(t, {{*key_b_}});
  ASSERT_TRUE(resigned);
  EXPECT_TRUE(verify_signatures(open_bytes(*resigned), {public_of(*key_b_)}));
}

TEST_F(MarSigning, StrippedArchivesNoLongerVerify) {
  auto unsigned_mar = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  auto signed_bytes = sign_archive(*unsigned_mar, {{*key_a_}});
  ASSERT_TRUE(signed_bytes);
  auto stripped = rebuild_with_signatures(open_bytes(*signed_bytes), {});
  ASSERT_TRUE(stripped);
  // Stripping a signature we added gives back the original bytes exactly.
  EXPECT_EQ(*stripped, as_chars(unsigned_mar->bytes()));
  const Status s = verify_signatures(open_bytes(*stripped), {public_of(*key_a_)});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("not signed"), std::string::npos);
}

TEST_F(MarSigning, ExportAndImportASignature) {
  auto unsigned_mar = MarArchive::open_file(fixture("build-mar-tests/test-xz.mar"));
  auto by_a = sign_archive(*unsigned_mar, {{*key_a_}});
  auto by_b = sign_archive(*unsigned_mar, {{*key_b_}});
  ASSERT_TRUE(by_a && by_b);
  MarArchive a = open_bytes(*by_a);
  const std::string text = encode_signature_base64(a.signature_bytes(a.signatures()[0]));
  EXPECT_NE(text.find('\n'), std::string::npos);
  auto decoded = decode_signature_base64(text);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, as_chars(a.signature_bytes(a.signatures()[0])));
  // A's signature imported into the B-signed copy makes it verify with A.
  auto imported = import_signature(open_bytes(*by_b), 0, bytes_of(*decoded));
  ASSERT_TRUE(imported);
  EXPECT_EQ(*imported, *by_a);
  EXPECT_FALSE(import_signature(open_bytes(*by_b), 1, bytes_of(*decoded)));
  EXPECT_FALSE(import_signature(open_bytes(*by_b), 0, bytes_of(decoded->substr(1))));
}

TEST(MarSignatureBase64, RefusesWhatIsNotBase64) {
  EXPECT_EQ(*decode_signature_base64("aGVsbG8=\r\n"), "hello");
  EXPECT_EQ(*decode_signature_base64("aGVs\nbG8h"), "hello!");
  for (const std::string bad : {"", "abc", "a*bc", "ab=c", "a===", "====", "aGVsbG8=aGVs"}) {
    EXPECT_FALSE(decode_signature_base64(bad)) << bad;
  }
}

TEST(MarKeys, LoadsThePublicKeyFormatsAndRefusesOthers) {
  auto key = MarKey::generate_rsa(2048);
  ASSERT_TRUE(key);
  auto pem = key->public_pem();
  ASSERT_TRUE(pem);
  EXPECT_TRUE(MarKey::load_public(bytes_of(*pem)));
  auto private_pem = key->private_pem();
  ASSERT_TRUE(private_pem);
  auto reloaded = MarKey::load_private(bytes_of(*private_pem));
  ASSERT_TRUE(reloaded);
  EXPECT_TRUE(reloaded->has_private_part());
  EXPECT_FALSE(MarKey::load_public(bytes_of("not a key")));
  EXPECT_FALSE(MarKey::load_private(bytes_of(*pem)));  // a public key cannot sign
  EXPECT_FALSE(sign_archive(*MarArchive::open_file(fixture("build-mar-tests/test-xz.mar")),
                            {{*MarKey::load_public(bytes_of(*pem))}}));
}

TEST(MarSigningOldFormat, HasNothingToVerifyOrSign) {
  testing::RawMar raw;
  raw.old_format = true;
  raw.entries.push_back(testing::RawEntry{.name = "a", .data = "x"});
  MarArchive old = open_bytes(raw.build());
  const Status s = verify_signatures(old, {fixture_public_key()});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("old format"), std::string::npos);
  EXPECT_FALSE(rebuild_with_signatures(old, {}));
}

}  // namespace
}  // namespace bh::mar
