// MAR signatures: RSA PKCS#1 v1.5 over SHA-384 (algorithm 2, what current updaters accept) or
// SHA-1 (algorithm 1, legacy), computed over the bytes the updater hashes (see
// MarArchive::for_each_signed_chunk). Verification, signing with private keys (tests and private
// deployments; Mozilla's releases are signed by its own service), and the base64 export/import
// of single signatures that `mar -X` / `mar -I` do.
//
// Thread safety: MarKey is immutable and may be shared between threads; the functions keep no
// state. Failure: unreadable keys and non-RSA keys are kInvalidArgument; a signature that does
// not verify is kInvalidArgument naming which one; nothing throws.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "mar/mar_archive.h"
#include "mar/mar_writer.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own forward declaration

namespace bh::mar {

class MarKey {
 public:
  // A public key from an X.509 certificate or a SubjectPublicKeyInfo / PKCS#1 RSA public key,
  // each DER or PEM (what `mar -D` is given).
  static Result<MarKey> load_public(ByteView bytes);
  // A private key, PKCS#8 or PKCS#1, DER or PEM (unencrypted).
  static Result<MarKey> load_private(ByteView bytes);
  // A fresh RSA key (tests, examples).
  static Result<MarKey> generate_rsa(unsigned bits);

  bool has_private_part() const { return has_private_; }
  std::size_t signature_size() const;  // bytes of one signature (the modulus size)
  Result<std::string> public_pem() const;
  Result<std::string> private_pem() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  bool has_private_ = false;
};

// Succeeds only when the archive has signatures, exactly one key is given per signature, and
// every signature verifies with the key of the same position.
Status verify_signatures(const MarArchive& archive, const std::vector<MarKey>& keys);

struct SigningKey {
  MarKey key;
  SignatureAlgorithm algorithm = SignatureAlgorithm::kRsaPkcs1Sha384;
};
// A copy of `archive` whose signature block holds one signature per key, in order (existing
// signatures are replaced).
Result<std::string> sign_archive(const MarArchive& archive, const std::vector<SigningKey>& keys);

// Base64 of one signature in 64-column lines (what `mar -X` writes).
std::string encode_signature_base64(ByteView signature);
// Decodes base64 text (whitespace anywhere is ignored); refuses anything else.
Result<std::string> decode_signature_base64(std::string_view text);
// A copy of `archive` with signature `index` replaced by `signature`, which must have the same
// length (`mar -I`).
Result<std::string> import_signature(const MarArchive& archive, std::size_t index, ByteView signature);

}  // namespace bh::mar
