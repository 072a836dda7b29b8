#include "store/filter.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace imi::store
