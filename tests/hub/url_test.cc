#include <gtest/gtest.h>

#include "hub/hub_client.h"
#include "hub/url.h"

namespace imi::hub {
namespace {

TEST(UrlTest, ResolveUrlFollowsTheHubLayoutAndEncodesRevisionSlashes) {
  EXPECT_EQ(ResolveUrl("https://huggingface.co/", "org/model", "refs/pr/1", "onnx/model.onnx"),
            "https://huggingface.co/org/model/resolve/refs%2Fpr%2F1/onnx/model.onnx");
  EXPECT_EQ(ModelInfoUrl("http://127.0.0.1:8080", "org/model", "main"),
            "http://127.0.0.1:8080/api/models/org/model/revision/main");
}

TEST(UrlTest, PercentEncodeKeepsUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("a b/c~d", false), "a%20b%2Fc~d");
  EXPECT_EQ(PercentEncode("a b/c", true), "a%20b/c");
}

TEST(UrlTest, OriginsDifferByHostOrPortButNotByPath) {
  EXPECT_EQ(OriginOf("https://huggingface.co/x/y"), "https://huggingface.co:443");
  EXPECT_EQ(OriginOf("https://HuggingFace.co:443/"), OriginOf("https://huggingface.co/z"));
  EXPECT_NE(OriginOf("https://huggingface.co/x"), OriginOf("https://cdn-lfs.huggingface.co/x"));
  EXPECT_NE(OriginOf("http://127.0.0.1:1000/a"), OriginOf("http://127.0.0.1:1001/a"));
  EXPECT_EQ(OriginOf("http://user:pw@host/a"), "http://host:80");
  EXPECT_EQ(OriginOf("/relative/path"), "");
}

TEST(EtagTest, NormalizeEtagStripsWeakPrefixAndQuotes) {
  EXPECT_EQ(NormalizeEtag("W/\"abc\""), "abc");
  EXPECT_EQ(NormalizeEtag("\"abc\""), "abc");
  EXPECT_EQ(NormalizeEtag("abc"), "abc");
}

}  // namespace
}  // namespace imi::hub
