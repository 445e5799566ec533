// FE_CHECK: always-on invariant checks. A failed check is a bug in the engine,
// never a reaction to input; it prints where and aborts.
#pragma once

namespace fhirengine::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace fhirengine::internal

#define FE_CHECK(cond)                                                           \
  do {                                                                           \
    if (!(cond)) ::fhirengine::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)
