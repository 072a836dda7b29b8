#include "server/json_io.h"

#include <gtest/gtest.h>

#include <charconv>
#include <string>

namespace imi::server {
namespace {

TEST(JsonIoTest, RejectsNestingDeeperThanTheCapBeforeParsing) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonBody(ok).ok());
  const std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  auto result = ParseJsonBody(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("deeper"), std::string::npos);
  // A million unclosed brackets must not recurse.
  EXPECT_FALSE(ParseJsonBody(std::string(1000000, '[')).ok());
}

TEST(JsonIoTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string body = "{\"texts\": [\"" + std::string(100, '[') + "\\\"" + std::string(100, '{') + "\"]}";
  auto result = ParseJsonBody(body);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)["texts"][0].get<std::string>().size(), 201u);
}

TEST(JsonIoTest, RejectsNanInfinityCommentsEmptyAndInvalidUtf8) {
  for (const std::string body : {"{\"a\": NaN}", "{\"a\": Infinity}", "[-Infinity]", "/**/{}", "", "  ",
                                 "{\"a\": \"\xff\"}", "{\"a\": \"\\ud800\"}", "{\"a\": 1} 2"}) {
    EXPECT_EQ(ParseJsonBody(body).status().code(), StatusCode::kInvalidArgument) << body;
  }
}

TEST(JsonIoTest, FloatsRoundTripThroughTheirShortestForm) {
  for (float f : {0.0f, -1.5f, 3.14159274f, 1e-30f, -7.0e20f, 0.1f}) {
    std::string text;
    AppendFloat(&text, f);
    float back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    EXPECT_EQ(back, f) << text;
  }
  std::string array;
  AppendFloatArray(&array, {1.0f, -0.5f});
  EXPECT_EQ(array, "[1,-0.5]");
}

TEST(JsonIoTest, Base64IsLittleEndianFloat32) {
  // 1.0f = 00 00 80 3f; 2.0f = 00 00 00 40.
  EXPECT_EQ(Base64Float32({1.0f}), "AACAPw==");
  EXPECT_EQ(Base64Float32({1.0f, 2.0f}), "AACAPwAAAEA=");
  EXPECT_EQ(Base64Float32({1.0f, 2.0f, 1.0f}), "AACAPwAAAEAAAIA/");
}

TEST(JsonIoTest, JsonStringEscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(JsonString("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(JsonString("x\xffy"), "\"x\xef\xbf\xbdy\"");
}

}  // namespace
}  // namespace imi::server
