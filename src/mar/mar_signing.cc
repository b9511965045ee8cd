#include "mar/mar_signing.h"

#include <cstring>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/byte_view.h"
#include "core/byte_order.h"

namespace bh::mar {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Decodes a key of any OpenSSL-known structure, DER or PEM.
EVP_PKEY* decode_key(ByteView bytes, int selection) {
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* ctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, nullptr, nullptr, "RSA", selection, nullptr, nullptr);
  if (ctx == nullptr) return nullptr;
  const unsigned char* data = bytes.data();
  std::size_t len = bytes.size();
  if (OSSL_DECODER_from_data(ctx, &data, &len) != 1) pkey = nullptr;
  OSSL_DECODER_CTX_free(ctx);
  return pkey;
}

EVP_PKEY* key_from_certificate(ByteView bytes) {
  X509* cert = nullptr;
  const unsigned char* p = bytes.data();
  cert = d2i_X509(nullptr, &p, static_cast<long>(bytes.size()));
  if (cert == nullptr) {
    BIO* bio = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
    if (bio != nullptr) {
      cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
    }
  }
  if (cert == nullptr) return nullptr;
  EVP_PKEY* pkey = X509_get_pubkey(cert);
  X509_free(cert);
  return pkey;
}

const EVP_MD* digest_for(std::uint32_t algorithm_id) {
  switch (algorithm_id) {
    case static_cast<std::uint32_t>(SignatureAlgorithm::kRsaPkcs1Sha1): return EVP_sha1();
    case static_cast<std::uint32_t>(SignatureAlgorithm::kRsaPkcs1Sha384): return EVP_sha384();
    default: return nullptr;
  }
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Result<std::string> pem_of(EVP_PKEY* key, bool private_part) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return fail(internal_error("BIO_new failed"));
  const int ok = private_part ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                              : PEM_write_bio_PUBKEY(bio, key);
  std::string out;
  if (ok == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  if (ok != 1) return fail(internal_error("writing PEM: " + openssl_reason()));
  return out;
}

}  // namespace

Result<MarKey> MarKey::load_public(ByteView bytes) {
  EVP_PKEY* pkey = key_from_certificate(bytes);
  if (pkey == nullptr) pkey = decode_key(bytes, EVP_PKEY_PUBLIC_KEY);
  ERR_clear_error();
  if (pkey == nullptr) {
    return fail(invalid_argument("not an RSA public key or certificate (DER or PEM: X.509, SubjectPublicKeyInfo, PKCS#1)"));
  }
  MarKey key;
  key.key_.reset(pkey, PkeyFree{});
  if (EVP_PKEY_is_a(pkey, "RSA") != 1) return fail(invalid_argument("the key is not an RSA key"));
  return key;
}

Result<MarKey> MarKey::load_private(ByteView bytes) {
  EVP_PKEY* pkey = decode_key(bytes, EVP_PKEY_KEYPAIR);
  ERR_clear_error();
  if (pkey == nullptr) return fail(invalid_argument("not an unencrypted RSA private key (PKCS#8 or PKCS#1, DER or PEM)"));
  MarKey key;
  key.key_.reset(pkey, PkeyFree{});
  key.has_private_ = true;
  return key;
}

Result<MarKey> MarKey::generate_rsa(unsigned bits) {
  EVP_PKEY* pkey = EVP_RSA_gen(bits);
  if (pkey == nullptr) return fail(internal_error("RSA key generation failed: " + openssl_reason()));
  MarKey key;
  key.key_.reset(pkey, PkeyFree{});
  key.has_private_ = true;
  return key;
}

std::size_t MarKey::signature_size() const { return static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())); }
Result<std::string> MarKey::public_pem() const { return pem_of(key_.get(), false); }
Result<std::string> MarKey::private_pem() const {
  if (!has_private_) return fail(invalid_argument("a public key has no private part"));
  return pem_of(key_.get(), true);
}

Status verify_signatures(const MarArchive& archive, const std::vector<MarKey>& keys) {
  if (!archive.has_signature_block()) {
    return invalid_argument("the MAR is in the old format, so it has no signature to verify");
  }
  const auto& sigs = archive.signatures();
  if (sigs.empty()) return invalid_argument("the MAR is not signed");
  if (keys.size() != sigs.size()) {
    return invalid_argument(fmt::format("the MAR has {} signature{} but {} key{} given", sigs.size(),
                                        sigs.size() == 1 ? "" : "s", keys.size(), keys.size() == 1 ? " was" : "s were"));
  }
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    const EVP_MD* md = digest_for(sigs[i].algorithm_id);
    if (md == nullptr) {
      return invalid_argument(fmt::format("signature {} uses unknown algorithm id {}", i, sigs[i].algorithm_id));
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, keys[i].get()) != 1) {
      ERR_clear_error();
      return invalid_argument(fmt::format("key {} cannot verify RSA signatures", i));
    }
    bool update_ok = true;
    archive.for_each_signed_chunk([&](ByteView chunk) {
      update_ok = update_ok && EVP_DigestVerifyUpdate(ctx.get(), chunk.data(), chunk.size()) == 1;
    });
    const ByteView sig = archive.signature_bytes(sigs[i]);
    const bool ok = update_ok && EVP_DigestVerifyFinal(ctx.get(), sig.data(), sig.size()) == 1;
    ERR_clear_error();
    if (!ok) return invalid_argument(fmt::format("signature {} does not verify with the key given for it", i));
  }
  return {};
}

Result<std::string> sign_archive(const MarArchive& archive, const std::vector<SigningKey>& keys) {
  if (keys.empty()) return fail(invalid_argument("no signing key given"));
  std::vector<MarSignatureSlot> slots;
  for (const SigningKey& k : keys) {
    if (!k.key.has_private_part()) return fail(invalid_argument("signing needs a private key"));
    slots.push_back({static_cast<std::uint32_t>(k.algorithm), std::string(k.key.signature_size(), '\0')});
  }
  // Placeholders of the final sizes first: the signed bytes include every size field.
  BH_ASSIGN_OR_RETURN(std::string bytes, rebuild_with_signatures(archive, slots));
  BH_ASSIGN_OR_RETURN(MarArchive placeholder, MarArchive::from_bytes(bytes, MarOpenOptions{UINT32_MAX}));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    const EVP_MD* md = digest_for(slots[i].algorithm_id);
    if (!ctx || md == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, keys[i].key.get()) != 1) {
      return fail(invalid_argument(fmt::format("key {} cannot sign: {}", i, openssl_reason())));
    }
    bool update_ok = true;
    placeholder.for_each_signed_chunk([&](ByteView chunk) {
      update_ok = update_ok && EVP_DigestSignUpdate(ctx.get(), chunk.data(), chunk.size()) == 1;
    });
    std::size_t len = slots[i].bytes.size();
    if (!update_ok ||
        EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(slots[i].bytes.data()), &len) != 1 ||
        len != slots[i].bytes.size()) {
      return fail(internal_error(fmt::format("signing with key {} failed: {}", i, openssl_reason())));
    }
    const MarSignature& where = placeholder.signatures()[i];
    bytes.replace(where.header_offset + 8, len, slots[i].bytes);
  }
  return bytes;
}

std::string encode_signature_base64(ByteView signature) {
  std::string encoded(4 * ((signature.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), signature.data(),
                                static_cast<int>(signature.size()));
  encoded.resize(static_cast<std::size_t>(n));
  std::string out;
  for (std::size_t at = 0; at < encoded.size(); at += 64) {
    out += encoded.substr(at, 64);
    out.push_back('\n');
  }
  return out;
}

Result<std::string> decode_signature_base64(std::string_view text) {
  std::string compact;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                    c == '/' || c == '=';
    if (!ok) return fail(invalid_argument("the signature file is not base64"));
    compact.push_back(c);
  }
  if (compact.empty() || compact.size() % 4 != 0) {
    return fail(invalid_argument("the signature file is not base64 (length is not a multiple of 4)"));
  }
  const std::size_t first_pad = compact.find('=');
  if (first_pad != std::string::npos && (first_pad < compact.size() - 2 ||
                                         compact.find_first_not_of('=', first_pad) != std::string::npos)) {
    return fail(invalid_argument("the signature file is not base64 (misplaced '=')"));
  }
  if (compact.size() / 4 * 3 > 2 * kMaxSignatureSize) return fail(too_large("the signature file is too long"));
  std::string out(compact.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size()));
  if (n < 0) return fail(invalid_argument("the signature file is not base64"));
  const std::size_t padding = first_pad == std::string::npos ? 0 : compact.size() - first_pad;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

Result<std::string> import_signature(const MarArchive& archive, std::size_t index, ByteView signature) {
  if (index >= archive.signatures().size()) {
    return fail(invalid_argument(fmt::format("the MAR has {} signature(s); there is no signature {}",
                                             archive.signatures().size(), index)));
  }
  const MarSignature& slot = archive.signatures()[index];
  if (signature.size() != slot.size) {
    return fail(invalid_argument(
        fmt::format("the imported signature is {} bytes but signature {} is {}", signature.size(), index, slot.size)));
  }
  std::string out(as_chars(archive.bytes()));
  out.replace(slot.header_offset + 8, signature.size(), as_chars(signature));
  return out;
}

}  // namespace bh::mar
