#include "core/status.h"

namespace bh {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kTooLarge: return "too_large";
    case Code::kUnavailable: return "unavailable";
    case Code::kOverloaded: return "overloaded";
    case Code::kIoError: return "io_error";
    case Code::kCorrupt: return "corrupt";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

int http_status(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnavailable: return 503;
    case Code::kOverloaded: return 429;
    case Code::kCancelled: return 503;
    case Code::kIoError:
    case Code::kCorrupt:
    case Code::kInternal: return 500;
  }
  return 500;
}

int exit_code(Code code) {
  // 2 is left to the argument parser (usage errors), as most tools do.
  switch (code) {
    case Code::kOk: return 0;
    case Code::kInternal: return 1;
    case Code::kInvalidArgument: return 3;
    case Code::kTooLarge: return 3;
    case Code::kNotFound: return 4;
    case Code::kConflict: return 5;
    case Code::kUnavailable: return 6;
    case Code::kOverloaded: return 6;
    case Code::kIoError: return 7;
    case Code::kCorrupt: return 8;
    case Code::kCancelled: return 130;
  }
  return 1;
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out(code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m)).with_kind(kind_);
}

}  // namespace bh
