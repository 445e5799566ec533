// The compiled form of a FHIRPath expression: an immutable tree of nodes with
// operators, functions and type specifiers resolved at compile time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "engine/fhir/type_model.h"
#include "engine/fhirpath/value.h"

namespace fhirengine::fhirpath::internal {

enum class Op : std::uint8_t {
  kImplies,
  kOr,
  kXor,
  kAnd,
  kIn,
  kContains,
  kEqual,
  kEquivalent,
  kNotEqual,
  kNotEquivalent,
  kLess,
  kLessOrEqual,
  kGreater,
  kGreaterOrEqual,
  kUnion,
  kPlus,
  kMinus,
  kConcat,
  kMultiply,
  kDivide,
  kDiv,
  kMod,
};

enum class FunctionId : std::uint8_t {
  // existence
  kEmpty,
  kExists,
  kAll,
  kAllTrue,
  kAnyTrue,
  kAllFalse,
  kAnyFalse,
  kSubsetOf,
  kSupersetOf,
  kCount,
  kDistinct,
  kIsDistinct,
  // filtering and projection
  kWhere,
  kSelect,
  kRepeat,
  kOfType,
  // subsetting
  kSingle,
  kFirst,
  kLast,
  kTail,
  kSkip,
  kTake,
  kIntersect,
  kExclude,
  // combining
  kUnion,
  kCombine,
  // conversion
  kIif,
  kToBoolean,
  kConvertsToBoolean,
  kToInteger,
  kConvertsToInteger,
  kToDecimal,
  kConvertsToDecimal,
  kToString,
  kConvertsToString,
  kToDate,
  kConvertsToDate,
  kToDateTime,
  kConvertsToDateTime,
  kToTime,
  kConvertsToTime,
  kToQuantity,
  kConvertsToQuantity,
  // strings
  kIndexOf,
  kLastIndexOf,
  kSubstring,
  kStartsWith,
  kEndsWith,
  kContains,
  kUpper,
  kLower,
  kReplace,
  kMatches,
  kMatchesFull,
  kReplaceMatches,
  kLength,
  kToChars,
  kTrim,
  kSplit,
  kJoin,
  kEncode,
  kDecode,
  kEscape,
  kUnescape,
  // math
  kAbs,
  kCeiling,
  kExp,
  kFloor,
  kLn,
  kLog,
  kPower,
  kRound,
  kSqrt,
  kTruncate,
  // tree navigation
  kChildren,
  kDescendants,
  // utility
  kTrace,
  kNow,
  kTimeOfDay,
  kToday,
  // types
  kIs,
  kAs,
  kType,
  kAggregate,
  kNot,
  // FHIR additions (R4 fhirpath.html)
  kExtension,
  kResolve,
  kHasValue,
  kGetValue,
  kHtmlChecks,
  kMemberOf,
  kConformsTo,
  kSubsumes,
  kSubsumedBy,
  // FHIRPath 2.0 boundary functions
  kLowBoundary,
  kHighBoundary,
  kPrecision,
};

struct FunctionSpec {
  std::string_view name;
  FunctionId id;
  int min_args;
  int max_args;
  std::uint8_t lambda_args;  // bit i: argument i is evaluated per input item ($this)
  bool lazy_args;            // arguments evaluated by the function itself (iif)
  bool type_arg;             // the argument is a type specifier (is, as, ofType)
};

// The function named `name`, or nullptr.
const FunctionSpec* FindFunction(std::string_view name);

// A resolved type specifier (is/as/ofType): a FHIR type, a System type, or
// both for unqualified names that exist in both (Quantity).
struct TypeSpec {
  std::string text;                          // as written: "FHIR.Patient"
  std::string name;                          // "Patient"
  const fhir::TypeDef* fhir_type = nullptr;  // FHIR.X
  std::optional<ItemKind> system_kind;       // System.X
  bool Matches(const Item& item) const;
};

enum class AstKind : std::uint8_t {
  kLiteral,   // literal
  kEmpty,     // {}
  kMember,    // [focus.]name
  kFunction,  // [focus.]function(args)
  kThis,
  kIndex,
  kTotal,
  kVariable,  // %name
  kIndexer,   // focus[args[0]]
  kNegate,    // -focus
  kBinary,    // args[0] op args[1]
  kIs,        // focus is type
  kAs,        // focus as type
};

struct Ast {
  AstKind kind = AstKind::kEmpty;
  Op op = Op::kPlus;
  const FunctionSpec* function = nullptr;
  std::string name;  // member, variable or function name
  std::optional<Item> literal;
  TypeSpec type;                            // kIs, kAs and type-argument functions
  std::shared_ptr<const std::regex> regex;  // precompiled literal pattern (matches...)
  std::unique_ptr<Ast> focus;               // may be null: applies to $this
  std::vector<std::unique_ptr<Ast>> args;
  std::uint32_t offset = 0;  // position in the expression text
  std::uint32_t depth = 1;   // height of this subtree
};

}  // namespace fhirengine::fhirpath::internal
