// The one error vocabulary of buildhub.
//
// Every fallible function returns `Status` (no value) or `Result<T>` (a value or a Status).
// A Status carries a small closed `Code` and a human-readable message; each Code maps to one
// HTTP status and one process exit code, so the faces (server, CLI) never invent their own.
// No exception crosses a module boundary: code that calls a throwing library catches at that
// boundary and converts to a Status.
//
// Thread safety: Status and Result are values; distinct objects may be used concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace bh {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (bad JSON, schema violation, bad flag)
  kNotFound,         // the named thing does not exist
  kConflict,         // the operation contradicts existing state
  kTooLarge,         // input exceeds a configured limit
  kUnavailable,      // a dependency is down; retrying may help
  kOverloaded,       // too much work is in progress here; retry later (HTTP 429)
  kIoError,          // reading or writing local files failed
  kCorrupt,          // stored data is damaged (data loss)
  kCancelled,        // the operation was stopped on request (shutdown)
  kInternal,         // a bug: an invariant did not hold
};

// Stable lower-case name of a code ("invalid_argument"), used in logs and JSON errors.
std::string_view code_name(Code code);
// HTTP status for a code: 400, 404, 409, 413, 429, 503, 500, ...
int http_status(Code code);
// Process exit code for a code (documented in docs/operations.md): 0 for kOk.
int exit_code(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: /target/os: must be one of ..." for logs.
  std::string to_string() const;

  // Returns a copy whose message is prefixed with `context` ("reading a.json: ...").
  Status with_context(std::string_view context) const;

  // An optional finer name a protocol face may show (the search API answers Elasticsearch's
  // error types, such as "parsing_exception"); it never changes the code's HTTP status or
  // exit code. Empty unless set.
  const std::string& kind() const { return kind_; }
  Status with_kind(std::string kind) && {
    kind_ = std::move(kind);
    return std::move(*this);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string kind_;
};

// Convenience constructors, so call sites read as what went wrong.
inline Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status too_large(std::string m) { return {Code::kTooLarge, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status overloaded(std::string m) { return {Code::kOverloaded, std::move(m)}; }
inline Status io_error(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status corrupt(std::string m) { return {Code::kCorrupt, std::move(m)}; }
inline Status cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::kInternal, std::move(m)}; }

// A value of T, or the Status that explains why there is none.
// REQUIRES: the error alternative is never an OK Status.
template <typename T>
using Result = tl::expected<T, Status>;

// Wraps a non-OK Status as the error alternative of any Result<T>.
inline tl::unexpected<Status> fail(Status status) { return tl::unexpected<Status>(std::move(status)); }
inline tl::unexpected<Status> fail(Code code, std::string message) {
  return tl::unexpected<Status>(Status(code, std::move(message)));
}

namespace internal {
// What the BH_ macros return: converts to Status or to any Result<T>, so the macros work in
// functions of either kind.
struct Propagate {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator tl::expected<T, Status>() && {  // NOLINT(google-explicit-constructor)
    return tl::unexpected<Status>(std::move(status));
  }
};
}  // namespace internal

}  // namespace bh

// Early return on error, for functions that return Status or Result<U>.
#define BH_RETURN_IF_ERROR(expr)                         \
  do {                                                   \
    ::bh::Status bh_status_ = (expr);                    \
    if (!bh_status_.is_ok()) return ::bh::internal::Propagate{std::move(bh_status_)}; \
  } while (0)

#define BH_CONCAT_INNER(a, b) a##b
#define BH_CONCAT(a, b) BH_CONCAT_INNER(a, b)
// BH_ASSIGN_OR_RETURN(auto x, compute()) : x is the value, or the enclosing function returns the error.
#define BH_ASSIGN_OR_RETURN(decl, expr) BH_ASSIGN_OR_RETURN_IMPL(BH_CONCAT(bh_result_, __LINE__), decl, expr)
#define BH_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp) return ::bh::internal::Propagate{std::move(tmp).error()}; \
  decl = std::move(*tmp)
