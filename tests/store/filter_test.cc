#include "store/filter.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::DataDir;
using testing::LoadJson;

TEST(FilterTest, EveryCaseInTheDataFileMatchesTheListedDocuments) {
  nlohmann::json data = LoadJson(DataDir() + "/filters.json");
  const nlohmann::json& docs = data["documents"];
  ASSERT_GT(data["cases"].size(), 40u);
  for (const nlohmann::json& c : data["cases"]) {
    SCOPED_TRACE(c["filter"].dump());
    Result<Filter> filter = Filter::Parse(c["filter"]);
    if (c.value("error", false)) {
      ASSERT_FALSE(filter.ok());
      EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
      EXPECT_FALSE(filter.status().message().empty());
      continue;
    }
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    std::vector<int> matched;
    for (size_t i = 0; i < docs.size(); ++i)
      if (filter->Matches(docs[i])) matched.push_back(static_cast<int>(i));
    EXPECT_EQ(matched, c["matches"].get<std::vector<int>>());
  }
}

TEST(FilterTest, UnknownOperatorErrorNamesTheOperator) {
  Result<Filter> filter = Filter::Parse(nlohmann::json::parse(R"({"city": {"$like": "S%"}})"));
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(filter.status().message().find("$like"), std::string::npos);
}

TEST(FilterTest, SqlCarriesUserValuesOnlyAsParameters) {
  const std::string evil = "x'); DROP TABLE documents; --";
  nlohmann::json json = {{"city", evil}, {"tags", {{"$in", {evil, "b"}}}}, {"name", {{"$gt", evil}}}};
  Result<Filter> filter = Filter::Parse(json);
  ASSERT_TRUE(filter.ok());
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    std::vector<SqlParam> params;
    std::string sql = filter->ToSql(dialect, "m", &params);
    EXPECT_EQ(sql.find("DROP"), std::string::npos) << sql;
    bool found = false;
    for (const SqlParam& p : params) found = found || p.text.find(evil) != std::string::npos;
    EXPECT_TRUE(found);
  }
}

TEST(FilterTest, PlaceholdersContinueAfterExistingParameters) {
  Result<Filter> filter = Filter::Parse(nlohmann::json::parse(R"({"a": 1})"));
  ASSERT_TRUE(filter.ok());
  std::vector<SqlParam> params(3);
  std::string sql = filter->ToSql(SqlDialect::kPostgres, "m", &params);
  EXPECT_NE(sql.find("$4"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("$1"), std::string::npos) << sql;
}

TEST(FilterTest, DeepNestingIsRejected) {
  nlohmann::json json = {{"a", 1}};
  for (int i = 0; i < 40; ++i) json = {{"$not", json}};
  Result<Filter> filter = Filter::Parse(json);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
}

// Most AND/OR operators side by side in one parenthesised group of an SQL
// text: n - 1 for a flat chain of n terms, 1 for a balanced tree.
int WidestOperatorChain(const std::string& sql) {
  std::vector<int> open{0};
  int widest = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '(') open.push_back(0);
    if (sql[i] == ')' && open.size() > 1) {
      widest = std::max(widest, open.back());
      open.pop_back();
    }
    if (sql.compare(i, 4, " OR ") == 0 || sql.compare(i, 5, " AND ") == 0) ++open.back();
  }
  return std::max(widest, open.back());
}

// Found by fuzz/filter_fuzzer.cc: a 1000-value $in compiled to a chain of
// 1000 ORs, which SQLite refuses ("Expression tree is too large").
TEST(FilterTest, LongValueListsAndClauseListsCompileToShallowSql) {
  nlohmann::json values = nlohmann::json::array();
  nlohmann::json clauses = nlohmann::json::array();
  for (int i = 0; i < 1024; ++i) {
    values.push_back(i);
    clauses.push_back({{"n", i}});
  }
  // One path parameter and 1024 values; 1024 clauses of a path and a value.
  const nlohmann::json in_filter = {{"n", {{"$in", values}}}};
  const nlohmann::json or_filter = {{"$or", clauses}};
  const std::pair<const nlohmann::json*, size_t> cases[] = {{&in_filter, 1025}, {&or_filter, 2048}};
  for (const auto& [json, param_count] : cases) {
    Result<Filter> filter = Filter::Parse(*json);
    ASSERT_TRUE(filter.ok()) << filter.status().ToString();
    for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
      std::vector<SqlParam> params;
      const std::string sql = filter->ToSql(dialect, "m", &params);
      EXPECT_LE(WidestOperatorChain(sql), 2) << sql.substr(0, 300);
      EXPECT_EQ(params.size(), param_count);
      std::string last = dialect == SqlDialect::kSqlite ? "?" : "$";
      last += std::to_string(params.size());
      EXPECT_NE(sql.find(last), std::string::npos);
    }
    EXPECT_TRUE(filter->Matches({{"n", 1023}}));
    EXPECT_FALSE(filter->Matches({{"n", 1024}}));
  }
}

TEST(FilterTest, MoreThan4096ConditionsAndValuesInAllAreRejected) {
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) values.push_back(i);
  nlohmann::json json = nlohmann::json::object();
  for (const char* field : {"f0", "f1", "f2", "f3"}) json[field] = {{"$in", values}};
  EXPECT_TRUE(Filter::Parse(json).ok());
  json["f4"] = {{"$nin", values}};
  Result<Filter> filter = Filter::Parse(json);
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(filter.status().message().find("4096"), std::string::npos) << filter.status().message();
}

}  // namespace
}  // namespace imi::store
