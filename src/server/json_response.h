// A JSON response from a JSON value (invalid UTF-8 in strings is replaced, never thrown on).
// Thread safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "server/http_types.h"

namespace bh {

inline HttpResponse json_response(const nlohmann::json& body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace bh
