// Request targets, query strings and listen addresses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto target = bh::split_target(text);
  if (target && target->path.size() > size) __builtin_trap();
  auto query = bh::parse_query(text);
  (void)query;
  // The host is either the default (no host given) or a piece of the input.
  auto listen = bh::parse_host_port(text);
  if (listen && listen->host != "127.0.0.1" && text.find(listen->host) == std::string_view::npos) __builtin_trap();
  return 0;
}
