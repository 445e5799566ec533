// Status and Result<T>: how the engine returns expected failures (modelled on
// absl::Status / absl::StatusOr; std::expected needs C++23).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "engine/core/check.h"

namespace fhirengine {

// The codes map to HTTP statuses and OperationOutcome issue codes at the REST
// layer (kInvalidArgument -> 400 "invalid", kNotFound -> 404 "not-found", ...).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input: syntax, structure, values
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // e.g. version conflict
  kResourceExhausted,   // a limit was hit: size, depth, rate
  kUnavailable,
  kUnimplemented,
  kInternal,
  kIoError,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid-argument: message" (or "ok").
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status ResourceExhausted(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}
inline Status Internal(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status IoError(std::string message) {
  return Status(StatusCode::kIoError, std::move(message));
}

// A value or a non-OK Status. Accessing the value of an error is a bug and
// crashes (FE_CHECK), never undefined behaviour.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    FE_CHECK(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& value() & {
    FE_CHECK(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    FE_CHECK(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    FE_CHECK(ok());
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace fhirengine

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define FE_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::fhirengine::Status fe_status_ = (expr); \
    if (!fe_status_.ok()) return fe_status_;  \
  } while (false)
