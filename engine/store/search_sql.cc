// Searches: a SearchQuery becomes one parameterised SELECT over the
// resource table and the search index. Every value is bound; only column
// names, operators and aliases the code chooses are spliced into the text.
//
// Plan: every clause is an EXISTS over the resource's own index rows
// (the table's primary key). The most selective positive index clause or
// chain, measured with a bounded count, instead drives the query as
// `r.rid IN (...)` over search_index_value, so a search touches the few
// rows it matches rather than every resource of the type; a chain's target
// query is planned the same way. Results come in rowid order, which makes
// paging stable.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "engine/store/json_compression.h"
#include "engine/store/resource_store.h"
#include "engine/store/store_internal.h"

namespace fhirengine::store {
namespace internal {

std::string StoredJson(const SQLite::Column& column) {
  const char* data = static_cast<const char*>(column.getBlob());
  Result<std::string> json =
      DecompressJson(std::string_view(data, static_cast<std::size_t>(column.getBytes())));
  if (!json.ok()) throw std::runtime_error(json.status().message());
  return std::move(json).value();
}

std::optional<std::int64_t> ParamIds::Find(SQLite::Database& db, const std::string& type,
                                           const std::string& code) {
  {
    std::shared_lock lock(mutex_);
    auto it = ids_.find({type, code});
    if (it != ids_.end()) return it->second;
  }
  SQLite::Statement q(db, "SELECT pid FROM search_param WHERE type=? AND code=?");
  q.bind(1, type);
  q.bind(2, code);
  if (!q.executeStep()) return std::nullopt;
  const std::int64_t pid = q.getColumn(0).getInt64();
  std::unique_lock lock(mutex_);
  ids_.emplace(std::make_pair(type, code), pid);
  return pid;
}

std::int64_t ParamIds::FindOrCreate(SQLite::Database& db, const std::string& type,
                                    const std::string& code,
                                    std::vector<std::pair<std::string, std::string>>& added) {
  if (std::optional<std::int64_t> pid = Find(db, type, code)) return *pid;
  SQLite::Statement q(db, "INSERT INTO search_param(type,code) VALUES(?,?)");
  q.bind(1, type);
  q.bind(2, code);
  q.exec();
  const std::int64_t pid = db.getLastInsertRowid();
  std::unique_lock lock(mutex_);
  ids_.emplace(std::make_pair(type, code), pid);
  added.emplace_back(type, code);
  return pid;
}

void ParamIds::Forget(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::unique_lock lock(mutex_);
  for (const auto& key : keys) ids_.erase(key);
}

std::optional<std::int64_t> SystemIds::Find(SQLite::Database& db, const std::string& text) {
  {
    std::shared_lock lock(mutex_);
    auto it = ids_.find(text);
    if (it != ids_.end()) return it->second;
  }
  SQLite::Statement q(db, "SELECT sid FROM search_system WHERE text=?");
  q.bind(1, text);
  if (!q.executeStep()) return std::nullopt;
  const std::int64_t sid = q.getColumn(0).getInt64();
  std::unique_lock lock(mutex_);
  ids_.emplace(text, sid);
  return sid;
}

std::int64_t SystemIds::FindOrCreate(SQLite::Database& db, const std::string& text,
                                     std::vector<std::string>& added) {
  if (std::optional<std::int64_t> sid = Find(db, text)) return *sid;
  SQLite::Statement q(db, "INSERT INTO search_system(text) VALUES(?)");
  q.bind(1, text);
  q.exec();
  const std::int64_t sid = db.getLastInsertRowid();
  std::unique_lock lock(mutex_);
  ids_.emplace(text, sid);
  added.push_back(text);
  return sid;
}

void SystemIds::Forget(const std::vector<std::string>& texts) {
  std::unique_lock lock(mutex_);
  for (const std::string& text : texts) ids_.erase(text);
}

}  // namespace internal

namespace {

using internal::ResetOnExit;

// The bounded count that estimates a clause's selectivity, and the count
// below which a clause drives the query without probing the others.
constexpr int kProbeLimit = 256;
constexpr int kSelectiveEnough = 32;

Status FromException(const std::exception& e, const std::string& what) {
  return IoError(what + ": " + e.what());
}

const char* ColumnName(Column c) {
  switch (c) {
    case Column::kSystem:
      return "system";
    case Column::kValue:
      return "value";
    case Column::kDisplay:
      return "display";
    case Column::kLow:
      return "low";
    case Column::kHigh:
      return "high";
    case Column::kNumber:
      return "number";
  }
  return "value";
}

// The smallest string greater than every string starting with `prefix`
// (bytewise, as SQLite's BINARY collation compares); empty when none is.
std::string PrefixUpperBound(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xFF) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

// The clause that should drive the search of `q`, or nullptr to scan the
// type (defined after SqlBuilder, which it uses to probe).
const Clause* ChooseDriver(internal::StoreImpl& impl, internal::Reader& db, const SearchQuery& q);

class SqlBuilder {
 public:
  // `drivers`, when given, remembers each (sub)query's driving clause, so a
  // second statement over the same query (the total after the page) does
  // not probe again.
  SqlBuilder(internal::StoreImpl& impl, internal::Reader& db,
             std::map<const SearchQuery*, const Clause*>* drivers = nullptr)
      : impl_(impl), db_(db), drivers_(drivers) {}

  std::string sql;
  std::vector<Operand> binds;

  void Bind(Operand v) {
    sql += '?';
    binds.push_back(std::move(v));
  }

  std::string NewAlias(char prefix) { return std::string(1, prefix) + std::to_string(++aliases_); }

  // The pid condition on index alias `x` for `code` of `type` (every type
  // when empty); false when no resource of the type ever had the parameter.
  bool ParamCondition(const std::string& x, const std::string& type, const std::string& code) {
    if (type.empty()) {
      sql += x + ".pid IN (SELECT pid FROM search_param WHERE code=";
      Bind(code);
      sql += ')';
      return true;
    }
    std::optional<std::int64_t> pid = impl_.param_ids.Find(db_.db, type, code);
    if (!pid) return false;
    sql += x + ".pid=";
    Bind(*pid);
    return true;
  }

  // A comparison on an index row's system, which holds the id of its text
  // in search_system.
  void SystemCompareSql(const std::string& col, const Compare& c) {
    if (c.op == CompareOp::kIsNull) {
      sql += col + " IS NULL";
      return;
    }
    sql += col + " IN (SELECT sid FROM search_system WHERE ";
    CompareSql("text", c);
    sql += ')';
  }

  // `col` equal to the search_system id of `text`.
  void SystemEquals(const std::string& col, const std::string& text) {
    sql += col + "=(SELECT sid FROM search_system WHERE text=";
    Bind(text);
    sql += ')';
  }

  void CompareSql(const std::string& col, const Compare& c) {
    switch (c.op) {
      case CompareOp::kEq:
        sql += col + "=";
        Bind(c.operand);
        return;
      case CompareOp::kNe:
        sql += col + "<>";
        Bind(c.operand);
        return;
      case CompareOp::kLt:
        sql += col + "<";
        Bind(c.operand);
        return;
      case CompareOp::kLe:
        sql += col + "<=";
        Bind(c.operand);
        return;
      case CompareOp::kGt:
        sql += col + ">";
        Bind(c.operand);
        return;
      case CompareOp::kGe:
        sql += col + ">=";
        Bind(c.operand);
        return;
      case CompareOp::kIsNull:
        sql += col + " IS NULL";
        return;
      case CompareOp::kStartsWith: {
        const std::string* prefix = std::get_if<std::string>(&c.operand);
        if (prefix == nullptr || prefix->empty()) {
          sql += col + " IS NOT NULL";
          return;
        }
        sql += '(' + col + ">=";
        Bind(*prefix);
        const std::string upper = PrefixUpperBound(*prefix);
        if (!upper.empty()) {
          sql += " AND " + col + "<";
          Bind(upper);
        }
        sql += ')';
        return;
      }
      case CompareOp::kContains:
        sql += "instr(" + col + ",";
        Bind(c.operand);
        sql += ")>0";
        return;
      case CompareOp::kPrefixOf:
        sql += "substr(";
        Bind(c.operand);
        sql += ",1,length(" + col + "))=" + col;
        return;
    }
  }

  // (m1 OR m2 ...) over index alias `x`; columns map through `column_sql`.
  template <typename ColumnSql>
  void MatchesSql(const std::vector<RowMatch>& any, ColumnSql column_sql) {
    if (any.empty()) {
      sql += '1';
      return;
    }
    sql += '(';
    for (std::size_t i = 0; i < any.size(); ++i) {
      if (i > 0) sql += " OR ";
      sql += '(';
      if (any[i].all.empty()) sql += '1';
      for (std::size_t j = 0; j < any[i].all.size(); ++j) {
        if (j > 0) sql += " AND ";
        const Compare& c = any[i].all[j];
        if (c.column == Column::kSystem) {
          SystemCompareSql(column_sql(c.column), c);
        } else {
          CompareSql(column_sql(c.column), c);
        }
      }
      sql += ')';
    }
    sql += ')';
  }

  void IndexMatchesSql(const std::string& x, const std::vector<RowMatch>& any) {
    MatchesSql(any, [&x](Column c) { return x + "." + ColumnName(c); });
  }

  // Appends " AND <clause>" for each clause of `q` on resource alias `r`
  // (whose type is `q.type`, or any type when empty). `skip` is a clause
  // already used to drive the query.
  void Clauses(const SearchQuery& q, const std::string& r, const Clause* skip = nullptr) {
    for (const Clause& c : q.clauses) {
      if (&c == skip) continue;
      sql += " AND ";
      ClauseSql(q, c, r);
    }
  }

  void ClauseSql(const SearchQuery& q, const Clause& c, const std::string& r) {
    switch (c.kind) {
      case Clause::Kind::kNever:
        sql += '0';
        return;
      case Clause::Kind::kId: {
        if (c.ids.empty()) {
          sql += c.negate ? "1" : "0";
          return;
        }
        sql += r + ".id " + (c.negate ? "NOT IN (" : "IN (");
        for (std::size_t i = 0; i < c.ids.size(); ++i) {
          if (i > 0) sql += ',';
          Bind(c.ids[i]);
        }
        sql += ')';
        return;
      }
      case Clause::Kind::kLastUpdated: {
        const std::string col = r + ".last_updated";
        MatchesSql(c.any, [&col](Column) { return col; });
        return;
      }
      case Clause::Kind::kIndex:
      case Clause::Kind::kMissing: {
        const bool want_rows = c.kind == Clause::Kind::kIndex ? !c.negate : !c.missing;
        const std::string x = NewAlias('x');
        const std::size_t mark = sql.size();
        const std::size_t bind_mark = binds.size();
        sql += std::string(want_rows ? "" : "NOT ") + "EXISTS(SELECT 1 FROM search_index " + x +
               " WHERE " + x + ".rid=" + r + ".rid AND ";
        if (!ParamCondition(x, q.type, c.param)) {
          sql.resize(mark);
          binds.resize(bind_mark);
          sql += want_rows ? "0" : "1";
          return;
        }
        if (c.kind == Clause::Kind::kIndex) {
          sql += " AND ";
          IndexMatchesSql(x, c.any);
        }
        sql += ')';
        return;
      }
      case Clause::Kind::kChain: {
        const std::string x = NewAlias('x');
        const std::size_t mark = sql.size();
        const std::size_t bind_mark = binds.size();
        sql += "EXISTS(SELECT 1 FROM search_index " + x + " WHERE " + x + ".rid=" + r + ".rid AND ";
        if (!ChainSql(q, c, x)) {
          sql.resize(mark);
          binds.resize(bind_mark);
          sql += '0';
          return;
        }
        sql += ')';
        return;
      }
      case Clause::Kind::kReverseChain: {
        if (c.targets.size() != 1) {
          sql += '0';
          return;
        }
        const SearchQuery& source = c.targets[0];
        const std::string x = NewAlias('x');
        const std::string s = NewAlias('s');
        const std::size_t mark = sql.size();
        const std::size_t bind_mark = binds.size();
        sql += r + ".id IN (SELECT " + x + ".value FROM search_index " + x + " JOIN resource " + s +
               " ON " + s + ".rid=" + x + ".rid WHERE ";
        if (!ParamCondition(x, source.type, c.param)) {
          sql.resize(mark);
          binds.resize(bind_mark);
          sql += '0';
          return;
        }
        // Implied by the join on id, but SQLite only uses the partial
        // index search_index_value (WHERE value IS NOT NULL) when the query
        // says so; without it every _has scanned the whole search_index.
        sql += " AND " + x + ".value IS NOT NULL AND ";
        if (q.type.empty()) {
          sql += x + ".system=(SELECT sid FROM search_system WHERE text=" + r + ".type)";
        } else {
          SystemEquals(x + ".system", q.type);
        }
        sql += " AND " + s + ".deleted=0";
        Clauses(source, s);
        sql += ')';
        return;
      }
    }
  }

  // The conditions on index alias `x` for chain clause `c` of `q`: its
  // parameter, and a reference to a current resource matching one of the
  // target queries. false (nothing written) when no resource of the type
  // ever had the parameter.
  bool ChainSql(const SearchQuery& q, const Clause& c, const std::string& x) {
    if (c.targets.empty() || !ParamCondition(x, q.type, c.param)) return false;
    sql += " AND (";
    for (std::size_t i = 0; i < c.targets.size(); ++i) {
      const SearchQuery& target = c.targets[i];
      const std::string t = NewAlias('t');
      if (i > 0) sql += " OR ";
      sql += '(';
      SystemEquals(x + ".system", target.type);
      sql += " AND " + x + ".value IN (SELECT " + t + ".id FROM resource " + t + " WHERE ";
      Where(target, t);
      sql += "))";
    }
    sql += ')';
    return true;
  }

  // The clause that drives `q` (ChooseDriver), probed once per builder set.
  const Clause* DriverOf(const SearchQuery& q) {
    if (drivers_ == nullptr) return ChooseDriver(impl_, db_, q);
    auto [it, fresh] = drivers_->try_emplace(&q, nullptr);
    if (fresh) it->second = ChooseDriver(impl_, db_, q);
    return it->second;
  }

  // The WHERE conditions of `q` on resource alias `r`: the driving clause
  // (if one is selective) as `r.rid IN (...)` over search_index_value, the
  // type, not deleted, and every other clause.
  void Where(const SearchQuery& q, const std::string& r) {
    const Clause* driver = DriverOf(q);
    if (driver != nullptr) {
      const std::size_t mark = sql.size();
      const std::size_t bind_mark = binds.size();
      const std::string xd = NewAlias('d');
      sql += r + ".rid IN (SELECT " + xd + ".rid FROM search_index " + xd + " WHERE ";
      bool written = false;
      if (driver->kind == Clause::Kind::kChain) {
        written = ChainSql(q, *driver, xd);
      } else if (ParamCondition(xd, q.type, driver->param)) {
        sql += " AND ";
        IndexMatchesSql(xd, driver->any);
        written = true;
      }
      if (written) {
        sql += ") AND ";
      } else {
        // No resource of the type ever had the parameter (its probe
        // counted 0, which is why it drives): nothing can match.
        sql.resize(mark);
        binds.resize(bind_mark);
        sql += "0 AND ";
      }
    }
    TypeCondition(q, r, driver != nullptr);
    Clauses(q, r, driver);
  }

  // The type restriction of a query on alias r. `unindexed`
  // keeps SQLite from choosing the type index over a driving clause.
  void TypeCondition(const SearchQuery& q, const std::string& r, bool unindexed) {
    const std::string plus = unindexed ? "+" : "";
    if (!q.type.empty()) {
      sql += plus + r + ".type=";
      Bind(q.type);
    } else if (!q.types.empty()) {
      sql += plus + r + ".type IN (";
      for (std::size_t i = 0; i < q.types.size(); ++i) {
        if (i > 0) sql += ',';
        Bind(q.types[i]);
      }
      sql += ')';
    } else {
      sql += '1';
    }
    sql += " AND " + plus + r + ".deleted=0";
  }

  void OrderBy(const SearchQuery& q, const std::string& r) {
    sql += " ORDER BY ";
    for (const SortKey& key : q.sort) {
      switch (key.kind) {
        case SortKey::Kind::kId:
          sql += r + ".id";
          break;
        case SortKey::Kind::kLastUpdated:
          sql += r + ".last_updated";
          break;
        case SortKey::Kind::kParam: {
          const std::string x = NewAlias('x');
          const std::size_t mark = sql.size();
          const std::size_t bind_mark = binds.size();
          sql += std::string("(SELECT ") + (key.descending ? "max(" : "min(") + x + "." +
                 ColumnName(key.column) + ") FROM search_index " + x + " WHERE " + x + ".rid=" + r +
                 ".rid AND ";
          if (!ParamCondition(x, q.type, key.param)) {
            sql.resize(mark);
            binds.resize(bind_mark);
            sql += "NULL";
            break;
          }
          sql += ')';
          break;
        }
      }
      sql += key.descending ? " DESC," : ",";
    }
    sql += r + ".rid";
  }

 private:
  internal::StoreImpl& impl_;
  internal::Reader& db_;
  std::map<const SearchQuery*, const Clause*>* drivers_;
  int aliases_ = 0;
};

void BindAll(SQLite::Statement& stmt, const std::vector<Operand>& binds) {
  for (std::size_t i = 0; i < binds.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            stmt.bind(index);
          } else if constexpr (std::is_same_v<T, std::string>) {
            stmt.bind(index, v);
          } else {
            stmt.bind(index, v);
          }
        },
        binds[i]);
  }
}

Hit RowToHit(SQLite::Statement& q) {
  Hit h;
  h.rid = q.getColumn(0).getInt64();
  h.type = q.getColumn(1).getString();
  h.id = q.getColumn(2).getString();
  h.version = q.getColumn(3).getInt64();
  h.last_updated_ms = q.getColumn(4).getInt64();
  if (!q.getColumn(5).isNull()) h.json = internal::StoredJson(q.getColumn(5));
  return h;
}

// How many rows (up to kProbeLimit) the index clause `c` matches.
std::int64_t ProbeClause(internal::StoreImpl& impl, internal::Reader& db, const SearchQuery& q,
                         const Clause& c) {
  SqlBuilder b(impl, db);
  b.sql = "SELECT count(*) FROM (SELECT 1 FROM search_index x WHERE ";
  if (!b.ParamCondition("x", q.type, c.param)) return 0;
  b.sql += " AND ";
  b.IndexMatchesSql("x", c.any);
  b.sql += " LIMIT " + std::to_string(kProbeLimit) + ")";
  internal::CachedStatement cached(db, b.sql);
  SQLite::Statement& stmt = cached.statement;
  BindAll(stmt, b.binds);
  return stmt.executeStep() ? stmt.getColumn(0).getInt64() : 0;
}

// How many resources (up to kProbeLimit per target type) the targets of
// chain clause `c` match: few targets mean few references to follow.
std::int64_t ProbeChain(internal::StoreImpl& impl, internal::Reader& db, const Clause& c) {
  std::int64_t total = 0;
  for (const SearchQuery& target : c.targets) {
    SqlBuilder b(impl, db);
    b.sql = "SELECT count(*) FROM (SELECT 1 FROM resource t WHERE ";
    b.Where(target, "t");
    b.sql += " LIMIT " + std::to_string(kProbeLimit) + ")";
    internal::CachedStatement cached(db, b.sql);
    SQLite::Statement& stmt = cached.statement;
    BindAll(stmt, b.binds);
    if (stmt.executeStep()) total += stmt.getColumn(0).getInt64();
  }
  return total;
}

// The clause that should drive the query, or nullptr to scan the type.
// Probes are cheap (an index range of at most kProbeLimit entries) and stop
// at the first clause that is selective enough; clauses with one equality
// on the value (references, codes) are tried first, since they usually are,
// then chains.
const Clause* ChooseDriver(internal::StoreImpl& impl, internal::Reader& db, const SearchQuery& q) {
  if (q.type.empty()) return nullptr;
  std::vector<const Clause*> candidates;
  for (const Clause& c : q.clauses) {
    if (c.kind == Clause::Kind::kId && !c.negate) return nullptr;  // the (type, id) key drives
    const bool chain = c.kind == Clause::Kind::kChain && !c.targets.empty();
    const bool index = c.kind == Clause::Kind::kIndex && !c.negate && !c.any.empty();
    if (chain || index) candidates.push_back(&c);
  }
  auto rank = [](const Clause* c) {
    if (c->kind == Clause::Kind::kChain) return 1;
    const bool exact =
        c->any.size() == 1 &&
        std::any_of(c->any[0].all.begin(), c->any[0].all.end(), [](const Compare& cmp) {
          return cmp.column == Column::kValue && cmp.op == CompareOp::kEq;
        });
    return exact ? 0 : 2;
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Clause* a, const Clause* b) { return rank(a) < rank(b); });
  const Clause* best = nullptr;
  std::int64_t best_count = std::numeric_limits<std::int64_t>::max();
  for (const Clause* c : candidates) {
    const std::int64_t count =
        c->kind == Clause::Kind::kChain ? ProbeChain(impl, db, *c) : ProbeClause(impl, db, q, *c);
    if (count < best_count) {
      best = c;
      best_count = count;
    }
    if (best_count <= kSelectiveEnough) break;
  }
  return best_count < kProbeLimit ? best : nullptr;
}

// FROM/WHERE of a top-level search on alias "r".
void WhereSql(SqlBuilder& b, const SearchQuery& q) {
  b.sql += " FROM resource r WHERE ";
  b.Where(q, "r");
}

}  // namespace

Result<SearchPage> ResourceStore::Search(const SearchQuery& query, const PageRequest& page) const {
  try {
    Impl::ReaderLease lease = impl_->Lease();
    internal::Reader& db = *lease.reader;
    // One read transaction, so the page and the total see the same snapshot.
    db.db.exec("BEGIN");
    struct EndRead {
      SQLite::Database& db;
      ~EndRead() {
        try {
          db.exec("COMMIT");
        } catch (const std::exception&) {  // a read transaction has nothing to lose
        }
      }
    } end_read{db.db};

    SearchPage result;
    std::map<const SearchQuery*, const Clause*> drivers;  // shared by page and total
    if (page.count > 0) {
      SqlBuilder b(*impl_, db, &drivers);
      b.sql = std::string("SELECT r.rid,r.type,r.id,r.version,r.last_updated,r.json");
      WhereSql(b, query);
      b.OrderBy(query, "r");
      b.sql += " LIMIT ";
      b.Bind(static_cast<std::int64_t>(page.count + 1));
      b.sql += " OFFSET ";
      b.Bind(static_cast<std::int64_t>(page.offset));
      internal::CachedStatement cached(db, b.sql);
      SQLite::Statement& stmt = cached.statement;
      BindAll(stmt, b.binds);
      while (stmt.executeStep()) result.hits.push_back(RowToHit(stmt));
      if (result.hits.size() > page.count) {
        result.hits.pop_back();
        result.has_more = true;
      }
    }
    if (page.want_total) {
      if (page.count > 0 && page.offset == 0 && !result.has_more) {
        result.total = static_cast<std::int64_t>(result.hits.size());
      } else {
        SqlBuilder b(*impl_, db, &drivers);
        b.sql = "SELECT count(*)";
        WhereSql(b, query);
        internal::CachedStatement cached(db, b.sql);
        SQLite::Statement& stmt = cached.statement;
        BindAll(stmt, b.binds);
        if (stmt.executeStep()) result.total = stmt.getColumn(0).getInt64();
      }
    }
    return result;
  } catch (const std::exception& e) {
    return FromException(e, "store search");
  }
}

Result<std::vector<Hit>> ResourceStore::Include(const std::vector<Hit>& hits,
                                                const std::vector<IncludeSpec>& specs,
                                                std::size_t limit) const {
  constexpr int kMaxIterations = 10;
  try {
    Impl::ReaderLease lease = impl_->Lease();
    internal::Reader& db = *lease.reader;
    std::set<std::int64_t> seen;
    for (const Hit& h : hits) seen.insert(h.rid);
    std::vector<Hit> included;
    std::vector<const Hit*> frontier;
    for (const Hit& h : hits) frontier.push_back(&h);
    for (int round = 0; round < kMaxIterations && !frontier.empty(); ++round) {
      std::vector<Hit> found;
      for (const IncludeSpec& spec : specs) {
        if (round > 0 && !spec.iterate) continue;
        // The frontier resources this spec starts from.
        std::vector<const Hit*> from;
        for (const Hit* h : frontier) {
          if (spec.reverse ? (spec.target_type.empty() || h->type == spec.target_type)
                           : h->type == spec.source_type) {
            from.push_back(h);
          }
        }
        if (from.empty()) continue;
        std::optional<std::int64_t> pid =
            impl_->param_ids.Find(db.db, spec.source_type, spec.param);
        if (!pid) continue;
        SqlBuilder b(*impl_, db);
        if (!spec.reverse) {
          b.sql =
              "SELECT t.rid,t.type,t.id,t.version,t.last_updated,t.json FROM search_index x "
              "JOIN search_system ss ON ss.sid=x.system "
              "JOIN resource t ON t.type=ss.text AND t.id=x.value WHERE x.pid=";
          b.Bind(*pid);
          b.sql += " AND t.deleted=0 AND x.rid IN (";
          for (std::size_t i = 0; i < from.size(); ++i) {
            if (i > 0) b.sql += ',';
            b.Bind(from[i]->rid);
          }
          b.sql += ')';
          if (!spec.target_type.empty()) {
            b.sql += " AND ";
            b.SystemEquals("x.system", spec.target_type);
          }
        } else {
          b.sql =
              "SELECT s.rid,s.type,s.id,s.version,s.last_updated,s.json FROM search_index x "
              "JOIN resource s ON s.rid=x.rid WHERE x.pid=";
          b.Bind(*pid);
          std::map<std::string, std::vector<std::string>> ids_by_type;
          for (const Hit* h : from) ids_by_type[h->type].push_back(h->id);
          b.sql += " AND s.deleted=0 AND (";
          bool first = true;
          for (const auto& [type, ids] : ids_by_type) {
            if (!first) b.sql += " OR ";
            first = false;
            b.sql += '(';
            b.SystemEquals("x.system", type);
            b.sql += " AND x.value IN (";
            for (std::size_t i = 0; i < ids.size(); ++i) {
              if (i > 0) b.sql += ',';
              b.Bind(ids[i]);
            }
            b.sql += "))";
          }
          b.sql += ')';
        }
        internal::CachedStatement cached(db, b.sql);
        SQLite::Statement& stmt = cached.statement;
        BindAll(stmt, b.binds);
        while (stmt.executeStep()) {
          Hit h = RowToHit(stmt);
          if (!seen.insert(h.rid).second) continue;
          if (included.size() + found.size() >= limit) {
            return ResourceExhausted("_include/_revinclude would add more than " +
                                     std::to_string(limit) + " resources");
          }
          found.push_back(std::move(h));
        }
      }
      const std::size_t first_new = included.size();
      for (Hit& h : found) included.push_back(std::move(h));
      frontier.clear();
      for (std::size_t i = first_new; i < included.size(); ++i) frontier.push_back(&included[i]);
      if (std::none_of(specs.begin(), specs.end(),
                       [](const IncludeSpec& s) { return s.iterate; })) {
        break;
      }
    }
    return included;
  } catch (const std::exception& e) {
    return FromException(e, "store include");
  }
}

}  // namespace fhirengine::store
