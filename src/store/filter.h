#ifndef IMI_STORE_FILTER_H_
#define IMI_STORE_FILTER_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace imi::store {

// A bound SQL parameter produced by Filter::ToSql: text or a double.
struct SqlParam {
  enum class Kind { kText, kReal };
  Kind kind = Kind::kText;
  std::string text;
  double real = 0;
};

enum class SqlDialect { kSqlite, kPostgres };

// A metadata filter (language in docs/store-format.md#filters), parsed and
// validated once; immutable and thread-safe afterwards. The empty filter
// matches every document.
class Filter {
 public:
  enum class Op { kAll, kAnd, kOr, kNot, kEq, kIn, kGt, kGte, kLt, kLte, kExists, kContains };

  Filter() = default;

  // Parses a JSON filter. InvalidArgument names the offending operator,
  // field or value (unknown operators, bad types, too deep nesting).
  static Result<Filter> Parse(const nlohmann::json& json);

  bool empty() const { return op_ == Op::kAll; }

  // Evaluates the filter on a document's metadata object.
  bool Matches(const nlohmann::json& metadata) const;

  // A boolean SQL expression over the JSON column `column` (a trusted
  // identifier written by the caller). User values are appended to `params`
  // and referenced as ?N (SQLite) or $N (Postgres), N = params->size() + 1
  // onwards — never spliced into the SQL text.
  std::string ToSql(SqlDialect dialect, std::string_view column, std::vector<SqlParam>* params) const;

 private:
  Op op_ = Op::kAll;
  std::vector<std::string> path_;        // field path for comparisons
  std::vector<nlohmann::json> values_;   // operands of kEq/kIn/ranges
  std::vector<Filter> children_;         // operands of kAnd/kOr/kNot

  friend class FilterParser;
};

}  // namespace imi::store

#endif  // IMI_STORE_FILTER_H_
