// The FHIRPath function library that works on values alone (existence,
// subsetting, combining, conversion, string, math, date/time, type and the
// FHIR value functions). Functions that evaluate an argument per item (where,
// select, repeat, all, exists(criteria), aggregate, iif, trace) live in the
// evaluator.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <span>
#include <string_view>
#include <unordered_map>

#include "engine/core/status.h"
#include "engine/fhirpath/ast.h"
#include "engine/fhirpath/value.h"

namespace fhirengine::fhirpath::internal {

// Hard limits for regular expressions: longer inputs or patterns are an
// error. Matching runs libstdc++'s polynomial (breadth-first) executor, so
// matches() and matchesFull() take time linear in the input; replaceMatches()
// searches repeatedly, which can be quadratic, hence its smaller cap.
inline constexpr std::size_t kMaxRegexInput = 32 * 1024;
inline constexpr std::size_t kMaxReplaceMatchesInput = 4096;
inline constexpr std::size_t kMaxRegexPattern = 1024;
// Largest string a function may build (replace, join, &, encode...).
inline constexpr std::size_t kMaxStringBytes = 16u << 20;

// How a compiled pattern is used: matches() (anywhere in the input),
// matchesFull() (the whole input) or replaceMatches() (every match).
enum class RegexUse { kMatches, kMatchesFull, kReplace };

// Compiles a FHIRPath regular expression (ECMAScript flavour, '.' also
// matching newlines as FHIRPath's single-line mode requires) for `use`; the
// result is always applied with std::regex_match except for kReplace.
// kInvalidArgument for a bad or too long pattern, or a back-reference (which
// the polynomial executor cannot run).
Result<std::shared_ptr<const std::regex>> CompileRegex(std::string_view pattern, RegexUse use);

// The evaluation's one clock reading for now(), today() and timeOfDay():
// the fixed instant when given, else the clock read on first use (most
// expressions never ask, so most evaluations never read the clock).
class EvaluationClock {
 public:
  explicit EvaluationClock(const std::optional<Temporal>& fixed) : now_(fixed) {}
  const Temporal& Now() const {
    if (!now_) now_ = NowUtc();
    return *now_;
  }

 private:
  mutable std::optional<Temporal> now_;
};

// What value functions may consult besides their arguments.
struct FunctionEnv {
  const fhir::TypeModel& model;
  const EvaluationClock& clock;
  std::size_t max_collection_size;
};

// Calls function `call.function` on `input` with already evaluated
// arguments. `call` supplies the type specifier and precompiled regex.
Result<Collection> CallValueFunction(const Ast& call, const Collection& input,
                                     std::span<const Collection> args, const FunctionEnv& env);

// Singleton evaluation of a collection as a Boolean (empty -> nullopt, one
// Boolean -> its value, one other item -> true, more items -> error).
Result<std::optional<bool>> ToBoolean3(const Collection& c, std::string_view what);

// Finds the items of a collection equal (FHIRPath `=`) to a given item in
// about constant time. The indexed collection must outlive the index and
// only grow through Add().
class ItemIndex {
 public:
  explicit ItemIndex(const Collection& items);
  bool Contains(const Item& item) const;
  // Records items.back() after the caller appended it.
  void Add(const Collection& items);

 private:
  const Collection& items_;
  std::unordered_multimap<std::size_t, std::size_t> by_hash_;
};

// Appends `items` to `out` unless already there (FHIRPath `=` equality;
// elements of the tree by identity).
void AppendDistinct(Collection& out, const Collection& items);

}  // namespace fhirengine::fhirpath::internal
