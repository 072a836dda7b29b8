// Decoder parity: tests/data/tokenizer/decoders/cases.jsonl holds decoder
// objects, token lists and what the reference decoder makes of them
// (regenerate with make_cases.py + ref/decoder_ref.mjs).
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/decoder.h"
#include "tokenizer/decoder_text.h"

namespace imi::tokenizer {
namespace {

std::string Decode(const Decoder& decoder, std::vector<std::string> tokens) {
  std::string out;
  for (const std::string& piece : decoder.DecodeChain(std::move(tokens))) out += piece;
  return out;
}

TEST(DecodersTest, EveryCaseMatchesTheReferenceDecoder) {
  std::ifstream in(std::string(IMI_SOURCE_DIR) + "/tests/data/tokenizer/decoders/cases.jsonl");
  ASSERT_TRUE(in) << "missing tests/data/tokenizer/decoders/cases.jsonl";
  std::string line;
  size_t cases = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto c = nlohmann::json::parse(line);
    ++cases;
    auto decoder = DecoderFromJson(c["decoder"]);
    ASSERT_TRUE(decoder.ok()) << c["decoder"].dump() << ": " << decoder.status().ToString();
    EXPECT_EQ(Decode(**decoder, c["tokens"].get<std::vector<std::string>>()), c["decoded"].get<std::string>())
        << "decoder " << c["decoder"].dump() << " tokens " << c["tokens"].dump();
  }
  EXPECT_GT(cases, 100u);
}

TEST(DecodersTest, UnknownDecoderTypeIsUnsupportedAndNamesTheType) {
  auto decoder = DecoderFromJson(nlohmann::json{{"type", "Bogus"}});
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(decoder.status().message().find("Bogus"), std::string::npos);
}

TEST(DecodersTest, MalformedDecodersAreInvalidArgumentsNotCrashes) {
  for (const char* text : {R"(null)", R"({"type": 3})", R"({"type": "Replace", "pattern": "x"})",
                           R"({"type": "Replace", "pattern": {"Regex": "("}, "content": ""})",
                           R"({"type": "Strip", "content": "ab", "start": 1, "stop": 0})",
                           R"({"type": "Sequence", "decoders": [{"type": "Fuse"}, 7]})",
                           R"({"type": "Metaspace", "replacement": "_", "add_prefix_space": false})"}) {
    auto decoder = DecoderFromJson(nlohmann::json::parse(text));
    EXPECT_FALSE(decoder.ok()) << text;
  }
}

TEST(DecodersTest, LossyUtf8ReplacesEachMaximalInvalidSubsequenceOnce) {
  EXPECT_EQ(Utf8Lossy("a\xE3\x81" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(Utf8Lossy("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Utf8Lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Utf8Lossy("\xF0\x9F\x91\x8D"), "\xF0\x9F\x91\x8D");
}

}  // namespace
}  // namespace imi::tokenizer
