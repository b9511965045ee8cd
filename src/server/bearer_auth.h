// Bearer tokens (Authorization: Bearer <token>) for the routes that change things: pushing builds,
// the partial service's admin routes.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http_types.h"

namespace bh {

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive), or empty.
std::string_view bearer_token(const HttpRequest& request);

// True when `presented` equals one of `tokens`, in time independent of where they differ (both
// sides are hashed first, so lengths leak nothing either).
bool token_matches(std::string_view presented, const std::vector<std::string>& tokens);

}  // namespace bh
