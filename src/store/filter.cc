#include "store/filter.h"

#include <cstdio>

namespace imi::store {

namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxInValues = 1024;
// Field conditions plus their values in one filter: each becomes one SQL
// parameter, and SQLite allows 32766 per statement (PostgreSQL 65535).
constexpr size_t kMaxOperands = 4096;

using Json = nlohmann::json;

bool IsScalar(const Json& v) { return v.is_string() || v.is_number() || v.is_boolean() || v.is_null(); }

const Json* Lookup(const Json& metadata, const std::vector<std::string>& path) {
  const Json* node = &metadata;
  for (const std::string& key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

bool ScalarEquals(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  if (a.is_boolean() && b.is_boolean()) return a.get<bool>() == b.get<bool>();
  return a.is_null() && b.is_null();
}

// Three-way comparison of a stored value with a range bound of the same JSON
// type; nullopt when the types differ (the document does not match).
std::optional<int> CompareToBound(const Json& value, const Json& bound) {
  if (bound.is_number() && value.is_number()) {
    double a = value.get<double>(), b = bound.get<double>();
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  if (bound.is_string() && value.is_string()) {
    int c = value.get_ref<const std::string&>().compare(bound.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

std::string FormatDouble(double d) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

}  // namespace

class FilterParser {
 public:
  static Result<Filter> ParseNode(const Json& json, int depth, size_t* operands) {
    if (depth > kMaxDepth) return Status::InvalidArgument("filter is nested deeper than 32 levels");
    if (!json.is_object()) return Status::InvalidArgument("a filter must be a JSON object, got " + TypeOf(json));
    std::vector<Filter> clauses;
    for (auto it = json.begin(); it != json.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      if (!key.empty() && key[0] == '$') {
        if (key == "$and" || key == "$or") {
          if (!value.is_array() || value.empty())
            return Status::InvalidArgument(key + " needs a non-empty array of filters");
          Filter node;
          node.op_ = key == "$and" ? Filter::Op::kAnd : Filter::Op::kOr;
          for (const Json& child : value) {
            IMI_ASSIGN_OR_RETURN(Filter parsed, ParseNode(child, depth + 1, operands));
            node.children_.push_back(std::move(parsed));
          }
          clauses.push_back(std::move(node));
        } else if (key == "$not") {
          IMI_ASSIGN_OR_RETURN(Filter parsed, ParseNode(value, depth + 1, operands));
          clauses.push_back(Not(std::move(parsed)));
        } else {
          return Status::InvalidArgument("unknown filter operator \"" + key +
                                         "\" at top level; use $and, $or, $not or a field name");
        }
      } else {
        IMI_ASSIGN_OR_RETURN(std::vector<std::string> path, ParsePath(key));
        const size_t first_new = clauses.size();
        IMI_RETURN_IF_ERROR(ParseField(path, key, value, &clauses));
        for (size_t i = first_new; i < clauses.size(); ++i) IMI_RETURN_IF_ERROR(CountOperands(clauses[i], operands));
      }
    }
    if (clauses.empty()) return Filter();
    if (clauses.size() == 1) return std::move(clauses[0]);
    Filter node;
    node.op_ = Filter::Op::kAnd;
    node.children_ = std::move(clauses);
    return node;
  }

 private:
  static std::string TypeOf(const Json& v) { return v.type_name(); }

  static Status CountOperands(const Filter& clause, size_t* operands) {
    const Filter* leaf = &clause;
    while (leaf->op_ == Filter::Op::kNot) leaf = &leaf->children_[0];
    *operands += 1 + leaf->values_.size();
    if (*operands > kMaxOperands)
      return Status::InvalidArgument("filter has more than 4096 conditions and values in all; split the query");
    return Status::Ok();
  }

  static Filter Not(Filter child) {
    Filter node;
    node.op_ = Filter::Op::kNot;
    node.children_.push_back(std::move(child));
    return node;
  }

  static Filter Leaf(Filter::Op op, const std::vector<std::string>& path, std::vector<Json> values) {
    Filter node;
    node.op_ = op;
    node.path_ = path;
    node.values_ = std::move(values);
    return node;
  }

  static Result<std::vector<std::string>> ParsePath(const std::string& field) {
    std::vector<std::string> path;
    std::string segment;
    for (size_t i = 0; i <= field.size(); ++i) {
      if (i == field.size() || field[i] == '.') {
        if (segment.empty())
          return Status::InvalidArgument("bad filter field \"" + field + "\": empty path segment");
        path.push_back(std::move(segment));
        segment.clear();
        continue;
      }
      unsigned char c = static_cast<unsigned char>(field[i]);
      if (c < 0x20 || c == '"' || c == '\\' || c == '$' || c == '{' || c == '}' || c == ',')
        return Status::InvalidArgument("bad filter field \"" + field +
                                       "\": field names may not contain quotes, backslashes, $, braces, commas or control characters");
      segment += field[i];
    }
    if (path.size() > 16) return Status::InvalidArgument("filter field \"" + field + "\" is deeper than 16 levels");
    return path;
  }

  static Status ParseField(const std::vector<std::string>& path, const std::string& field, const Json& value,
                           std::vector<Filter>* clauses) {
    if (IsScalar(value)) {
      clauses->push_back(Leaf(Filter::Op::kEq, path, {value}));
      return Status::Ok();
    }
    if (value.is_array())
      return Status::InvalidArgument("filter field \"" + field + "\": use {\"$in\": [...]} to match any of several values");
    if (value.empty())
      return Status::InvalidArgument("filter field \"" + field + "\": empty operator object");
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& op = it.key();
      const Json& operand = it.value();
      if (op.empty() || op[0] != '$')
        return Status::InvalidArgument("filter field \"" + field +
                                       "\": nested objects are not values; address nested fields as \"" + field + "." + op + "\"");
      if (op == "$eq" || op == "$ne") {
        if (!IsScalar(operand))
          return Status::InvalidArgument("filter field \"" + field + "\": " + op + " needs a string, number, boolean or null");
        Filter eq = Leaf(Filter::Op::kEq, path, {operand});
        clauses->push_back(op == "$eq" ? std::move(eq) : Not(std::move(eq)));
      } else if (op == "$in" || op == "$nin") {
        if (!operand.is_array())
          return Status::InvalidArgument("filter field \"" + field + "\": " + op + " needs an array");
        if (operand.size() > kMaxInValues)
          return Status::InvalidArgument("filter field \"" + field + "\": " + op + " has more than 1024 values");
        std::vector<Json> values;
        for (const Json& v : operand) {
          if (!IsScalar(v))
            return Status::InvalidArgument("filter field \"" + field + "\": " + op + " values must be strings, numbers, booleans or null");
          values.push_back(v);
        }
        Filter in = Leaf(Filter::Op::kIn, path, std::move(values));
        clauses->push_back(op == "$in" ? std::move(in) : Not(std::move(in)));
      } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
        if (!operand.is_number() && !operand.is_string())
          return Status::InvalidArgument("filter field \"" + field + "\": " + op + " needs a number or a string");
        Filter::Op kind = op == "$gt"    ? Filter::Op::kGt
                          : op == "$gte" ? Filter::Op::kGte
                          : op == "$lt"  ? Filter::Op::kLt
                                         : Filter::Op::kLte;
        clauses->push_back(Leaf(kind, path, {operand}));
      } else if (op == "$contains") {
        if (!IsScalar(operand))
          return Status::InvalidArgument("filter field \"" + field +
                                         "\": $contains needs a string, number, boolean or null (an element of the array)");
        clauses->push_back(Leaf(Filter::Op::kContains, path, {operand}));
      } else if (op == "$exists") {
        if (!operand.is_boolean())
          return Status::InvalidArgument("filter field \"" + field + "\": $exists needs true or false");
        Filter exists = Leaf(Filter::Op::kExists, path, {});
        clauses->push_back(operand.get<bool>() ? std::move(exists) : Not(std::move(exists)));
      } else {
        return Status::InvalidArgument("unknown filter operator \"" + op + "\" on field \"" + field +
                                       "\"; use $eq, $ne, $in, $nin, $contains, $gt, $gte, $lt, $lte or $exists");
      }
    }
    return Status::Ok();
  }
};

Result<Filter> Filter::Parse(const nlohmann::json& json) {
  if (json.is_null()) return Filter();
  size_t operands = 0;
  return FilterParser::ParseNode(json, 0, &operands);
}

bool Filter::Matches(const nlohmann::json& metadata) const {
  switch (op_) {
    case Op::kAll: return true;
    case Op::kAnd:
      for (const Filter& c : children_)
        if (!c.Matches(metadata)) return false;
      return true;
    case Op::kOr:
      for (const Filter& c : children_)
        if (c.Matches(metadata)) return true;
      return false;
    case Op::kNot: return !children_[0].Matches(metadata);
    default: break;
  }
  const Json* value = Lookup(metadata, path_);
  if (op_ == Op::kExists) return value != nullptr;
  if (value == nullptr) return false;
  if (op_ == Op::kEq) return ScalarEquals(*value, values_[0]);
  if (op_ == Op::kIn || op_ == Op::kContains) {
    // $in also holds when an array holds one of the values; $contains only then.
    auto any_of_values = [this](const Json& x) {
      for (const Json& v : values_)
        if (ScalarEquals(x, v)) return true;
      return false;
    };
    if (value->is_array()) {
      for (const Json& element : *value)
        if (any_of_values(element)) return true;
      return false;
    }
    return op_ == Op::kIn && any_of_values(*value);
  }
  std::optional<int> cmp = CompareToBound(*value, values_[0]);
  if (!cmp) return false;
  switch (op_) {
    case Op::kGt: return *cmp > 0;
    case Op::kGte: return *cmp >= 0;
    case Op::kLt: return *cmp < 0;
    case Op::kLte: return *cmp <= 0;
    default: return false;
  }
}

namespace {

// Joins terms[begin, end) with `op` as a balanced tree: a long $in list or
// many clauses nest log2(n) deep, not n deep (SQLite refuses expression trees
// deeper than 1000). The terms keep their order, and so do the parameters.
std::string JoinBalanced(const std::vector<std::string>& terms, size_t begin, size_t end, const char* op) {
  if (end - begin <= 1) return begin < end ? terms[begin] : std::string();
  const size_t mid = begin + (end - begin) / 2;
  std::string sql = "(";
  sql += JoinBalanced(terms, begin, mid, op);
  sql += op;
  sql += JoinBalanced(terms, mid, end, op);
  sql += ')';
  return sql;
}

std::string ParamRef(SqlDialect dialect, size_t index) {
  std::string out(dialect == SqlDialect::kSqlite ? "?" : "$");
  out += std::to_string(index);
  return out;
}

std::string AddText(SqlDialect dialect, std::vector<SqlParam>* params, std::string text) {
  params->push_back(SqlParam{SqlParam::Kind::kText, std::move(text), 0});
  return ParamRef(dialect, params->size());
}

std::string AddReal(SqlDialect dialect, std::vector<SqlParam>* params, double value) {
  if (dialect == SqlDialect::kPostgres) return AddText(dialect, params, FormatDouble(value));
  params->push_back(SqlParam{SqlParam::Kind::kReal, {}, value});
  return ParamRef(dialect, params->size());
}

const char* SqlOperator(Filter::Op op) {
  switch (op) {
    case Filter::Op::kGt: return " > ";
    case Filter::Op::kGte: return " >= ";
    case Filter::Op::kLt: return " < ";
    case Filter::Op::kLte: return " <= ";
    default: return " = ";
  }
}

// SQLite: json_type() tells JSON types apart (json_extract maps true to 1).
// $in and $contains also look inside an array with json_each, whose `type`
// column names the element's JSON type the way json_type does.
std::string SqliteLeaf(Filter::Op op, const std::vector<std::string>& path, const std::vector<Json>& values,
                       std::string_view column, std::vector<SqlParam>* params) {
  const bool membership = op == Filter::Op::kIn || op == Filter::Op::kContains;
  if ((op == Filter::Op::kEq || membership) && values.empty()) return "(0)";
  std::string json_path = "$";
  for (const std::string& seg : path) json_path += ".\"" + seg + "\"";
  std::string p = AddText(SqlDialect::kSqlite, params, json_path);
  std::string type = "json_type(" + std::string(column) + ", " + p + ")";
  std::string extract = "json_extract(" + std::string(column) + ", " + p + ")";
  if (op == Filter::Op::kExists) return "(" + type + " IS NOT NULL)";
  // `type_sql` and `value_sql` name the JSON type and SQL value of the thing
  // compared; `ref` is the bound parameter of a number or string operand.
  auto compare = [](const Json& v, const std::string& type_sql, const std::string& value_sql, const char* sql_op,
                    const std::string& ref) -> std::string {
    if (v.is_null()) return "(" + type_sql + " = 'null')";
    if (v.is_boolean()) return "(" + type_sql + (v.get<bool>() ? " = 'true')" : " = 'false')");
    if (v.is_number()) return "(" + type_sql + " IN ('integer','real') AND " + value_sql + sql_op + ref + ")";
    return "(" + type_sql + " = 'text' AND " + value_sql + sql_op + ref + ")";
  };
  auto bind = [params](const Json& v) -> std::string {
    if (v.is_number()) return AddReal(SqlDialect::kSqlite, params, v.get<double>());
    if (v.is_string()) return AddText(SqlDialect::kSqlite, params, v.get<std::string>());
    return std::string();
  };
  std::string sql;
  if (op == Filter::Op::kEq || membership) {
    std::vector<std::string> scalar_terms, element_terms;
    for (const Json& v : values) {
      const std::string ref = bind(v);
      scalar_terms.push_back(compare(v, type, extract, " = ", ref));
      element_terms.push_back(compare(v, "je.type", "je.value", " = ", ref));
    }
    const std::string in_array = "(" + type + " = 'array' AND EXISTS (SELECT 1 FROM json_each(" + std::string(column) +
                                 ", " + p + ") je WHERE " +
                                 JoinBalanced(element_terms, 0, element_terms.size(), " OR ") + "))";
    const std::string scalar = JoinBalanced(scalar_terms, 0, scalar_terms.size(), " OR ");
    if (op == Filter::Op::kEq) sql = scalar;
    else if (op == Filter::Op::kContains) sql = in_array;
    else sql = "(" + scalar + " OR " + in_array + ")";
  } else {
    sql = compare(values[0], type, extract, SqlOperator(op), bind(values[0]));
  }
  return "COALESCE((" + sql + "), 0)";
}

// Postgres: jsonb equality compares numbers numerically; string ranges use
// the "C" collation so ordering is bytewise like SQLite and the evaluator.
// $in and $contains also compare the elements of an array
// (jsonb_array_elements) with the same jsonb equality.
std::string PostgresLeaf(Filter::Op op, const std::vector<std::string>& path, const std::vector<Json>& values,
                         std::string_view column, std::vector<SqlParam>* params) {
  const bool membership = op == Filter::Op::kIn || op == Filter::Op::kContains;
  // Every parameter reference must be referenced, or Postgres cannot type it.
  if ((op == Filter::Op::kEq || membership) && values.empty()) return "(false)";
  std::string array = "{";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) array += ',';
    array += '"';
    array += path[i];
    array += '"';
  }
  array += "}";
  std::string p = AddText(SqlDialect::kPostgres, params, array) + "::text[]";
  std::string node = "(";
  node.append(column).append(" #> ").append(p).append(")");
  if (op == Filter::Op::kExists) return "(" + node + " IS NOT NULL)";
  std::string sql;
  if (op == Filter::Op::kEq || membership) {
    std::vector<std::string> scalar_terms, element_terms;
    for (const Json& v : values) {
      const std::string ref = AddText(SqlDialect::kPostgres, params, v.dump()) + "::jsonb";
      scalar_terms.push_back("(" + node + " = " + ref + ")");
      element_terms.push_back("(je.value = " + ref + ")");
    }
    const std::string in_array = "(jsonb_typeof(" + node + ") = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(" +
                                 node + ") je(value) WHERE " +
                                 JoinBalanced(element_terms, 0, element_terms.size(), " OR ") + "))";
    const std::string scalar = JoinBalanced(scalar_terms, 0, scalar_terms.size(), " OR ");
    if (op == Filter::Op::kEq) sql = scalar;
    else if (op == Filter::Op::kContains) sql = in_array;
    else sql = "(" + scalar + " OR " + in_array + ")";
  } else if (values[0].is_number()) {
    sql = "jsonb_typeof(" + node + ") = 'number' AND " + node + SqlOperator(op) +
          AddText(SqlDialect::kPostgres, params, values[0].dump()) + "::jsonb";
  } else {
    sql = "jsonb_typeof(" + node + ") = 'string' AND (" + std::string(column) + " #>> " + p + ") COLLATE \"C\"" +
          SqlOperator(op) + AddText(SqlDialect::kPostgres, params, values[0].get<std::string>()) + "::text";
  }
  return "COALESCE((" + sql + "), false)";
}

}  // namespace

std::string Filter::ToSql(SqlDialect dialect, std::string_view column, std::vector<SqlParam>* params) const {
  const char* true_sql = dialect == SqlDialect::kSqlite ? "(1)" : "(true)";
  switch (op_) {
    case Op::kAll: return true_sql;
    case Op::kAnd:
    case Op::kOr: {
      std::vector<std::string> terms;
      for (const Filter& child : children_) terms.push_back(child.ToSql(dialect, column, params));
      std::string sql = "(";
      sql += JoinBalanced(terms, 0, terms.size(), op_ == Op::kAnd ? " AND " : " OR ");
      sql += ')';
      return sql;
    }
    case Op::kNot: return "(NOT " + children_[0].ToSql(dialect, column, params) + ")";
    default: break;
  }
  return dialect == SqlDialect::kSqlite ? SqliteLeaf(op_, path_, values_, column, params)
                                        : PostgresLeaf(op_, path_, values_, column, params);
}

}  // namespace imi::store
