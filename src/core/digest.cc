#include "core/digest.h"

#include <openssl/evp.h>

#include "core/hex.h"

namespace bh {
namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; an empty string is then the visible result.
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) return {};
  return to_hex_lower(std::string_view(reinterpret_cast<const char*>(out), length));
}

}  // namespace

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }
std::string sha512_hex(std::string_view data) { return digest_hex(EVP_sha512(), data); }

}  // namespace bh
