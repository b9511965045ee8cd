// Message digests over byte strings (OpenSSL EVP). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bh {

// Lower-case hex MD5 of `data` (32 characters). MD5 is used only where a compatible
// identity demands it (Buildhub2's build_hash), never for security.
std::string md5_hex(std::string_view data);

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Lower-case hex SHA-512 of `data` (128 characters): the identity of a file's content in the
// partial builder and its patch cache (Mozilla's funsize keys its diff cache the same way).
std::string sha512_hex(std::string_view data);

}  // namespace bh
