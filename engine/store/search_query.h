// What the store can search by: index rows written with each resource, and
// a query model over them that the search layer fills from a FHIR search
// URL. The store turns a SearchQuery into one parameterised SQL statement;
// it knows nothing of FHIR syntax (prefixes, modifiers, escaping).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fhirengine::store {

// One value of one search parameter of a stored resource. Which columns are
// set depends on the parameter type (see search::IndexEntry): text columns
// that are empty are stored as NULL; low/high for dates, number for
// numbers and quantities.
struct IndexRow {
  std::string param;  // the parameter's code: "partof", "identifier:of-type"
  std::string system;
  std::string value;
  std::string display;
  std::optional<std::int64_t> low;
  std::optional<std::int64_t> high;
  std::optional<double> number;
};

// ---- the query model --------------------------------------------------------

enum class Column { kSystem, kValue, kDisplay, kLow, kHigh, kNumber };

enum class CompareOp {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIsNull,      // no operand
  kStartsWith,  // column starts with the operand
  kContains,    // column contains the operand
  kPrefixOf,    // the operand starts with the column (uri :above)
};

using Operand = std::variant<std::monostate, std::string, std::int64_t, double>;

struct Compare {
  Column column = Column::kValue;
  CompareOp op = CompareOp::kEq;
  Operand operand;
};

// One index row for which every comparison holds.
struct RowMatch {
  std::vector<Compare> all;
};

struct SearchQuery;

// One condition on the searched resources; a query's clauses all hold (AND).
struct Clause {
  enum class Kind {
    kIndex,         // some row of `param` matches one of `any` (none, when negate)
    kMissing,       // `param` has no rows (missing=true) or some (missing=false)
    kChain,         // some `param` reference points at a resource matching `target`
    kReverseChain,  // some resource matching `target` refers here through its `param`
    kId,            // the id is one of `ids` (not one of, when negate)
    kLastUpdated,   // meta.lastUpdated, as a point low=high, matches one of `any`
    kNever,         // matches nothing (a parameter no resource can have)
  };
  Kind kind = Kind::kIndex;
  std::string param;
  std::vector<RowMatch> any;
  bool negate = false;
  bool missing = true;
  std::vector<std::string> ids;
  // kChain: one query per possible target type (OR); kReverseChain: the
  // referring resources' query (its `type` is theirs).
  std::vector<SearchQuery> targets;
};

struct SortKey {
  enum class Kind { kId, kLastUpdated, kParam };
  Kind kind = Kind::kParam;
  std::string param;
  Column column = Column::kValue;  // what to order by for kParam
  bool descending = false;
};

struct SearchQuery {
  std::string type;                // resource type; empty: every type (system search)
  std::vector<std::string> types;  // for a system search: only these (empty: all)
  std::vector<Clause> clauses;
  std::vector<SortKey> sort;
};

struct PageRequest {
  std::size_t count = 20;
  std::size_t offset = 0;
  bool want_total = true;
};

struct Hit {
  std::int64_t rid = 0;
  std::string type;
  std::string id;
  std::int64_t version = 0;
  std::int64_t last_updated_ms = 0;
  std::string json;
};

struct SearchPage {
  std::vector<Hit> hits;
  std::optional<std::int64_t> total;
  bool has_more = false;  // a next page exists
};

// _include / _revinclude.
struct IncludeSpec {
  std::string source_type;  // the resource type holding the reference
  std::string param;        // its reference parameter
  std::string target_type;  // empty: any
  bool reverse = false;     // _revinclude: resources of source_type referring to the hits
  bool iterate = false;     // applied again to what was included
};

}  // namespace fhirengine::store
