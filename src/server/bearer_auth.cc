#include "server/bearer_auth.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace bh {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest_of(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

}  // namespace

std::string_view bearer_token(const HttpRequest& request) {
  const std::string_view auth = request.header("authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() <= kBearer.size() || !std::equal(kBearer.begin(), kBearer.end(), auth.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return {};
  }
  std::string_view token = auth.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

bool token_matches(std::string_view presented, const std::vector<std::string>& tokens) {
  const auto want = digest_of(presented);
  int matches = 0;
  for (const std::string& t : tokens) {
    const auto have = digest_of(t);
    matches |= CRYPTO_memcmp(want.data(), have.data(), want.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

}  // namespace bh
