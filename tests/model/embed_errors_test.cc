// Each bad model or input gives one clear line and a non-zero exit from
// `imi embed`, and the matching Status from the Embedder.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "model/embedder.h"

namespace imi::model {
namespace {

namespace fs = std::filesystem;

std::string Imi() { return std::string(IMI_BINARY_DIR) + "/imi"; }

// A copy of a generated model with `mutate` applied, under the build dir.
std::string CopyModel(const testing::Fixtures& f, const std::string& from, const std::string& name) {
  const fs::path dst = fs::path(f.dir) / ("copy-" + name);
  fs::remove_all(dst);
  fs::copy(f.Path(from), dst, fs::copy_options::recursive);
  return dst.string();
}

struct CliRun {
  int exit_code;
  std::string out;  // stdout + stderr
};

CliRun RunEmbed(const std::string& model, const std::string& input, const std::string& extra = "") {
  // One file per process: ctest runs these tests concurrently.
  const fs::path in = fs::path(IMI_BINARY_DIR) / ("tests/model/errors_input." + std::to_string(::getpid()) + ".txt");
  std::ofstream(in, std::ios::binary) << input;
  CliRun r;
  r.exit_code = testing::RunCommand(Imi() + " embed --model " + model + " --variant fp32 --threads 1 " + extra +
                                        " < " + in.string(),
                                    &r.out, true);
  fs::remove(in);
  return r;
}

// The error line: the last line of the output, starting "imi embed: ".
void ExpectOneErrorLine(const CliRun& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << r.out;
  const size_t pos = r.out.rfind("imi embed: ");
  ASSERT_NE(pos, std::string::npos) << r.out;
  const std::string line = r.out.substr(pos);
  EXPECT_NE(line.find(needle), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line: " << line;
}

TEST(EmbedErrorsTest, MissingTokenizerJsonIsOneLineAndExitThree) {
  IMI_REQUIRE_FIXTURES(f);
  const std::string dir = CopyModel(f, "tiny-bert", "no-tokenizer");
  fs::remove(fs::path(dir) / "tokenizer.json");
  EmbedderConfig config;
  config.model_path = dir;
  EXPECT_EQ(Embedder::Load(config).status().code(), StatusCode::kNotFound);
  CliRun r = RunEmbed(dir, "hello\n");
  ExpectOneErrorLine(r, "tokenizer.json");
  EXPECT_EQ(r.exit_code, 3);
}

TEST(EmbedErrorsTest, MissingOnnxFileIsOneLineAndExitThree) {
  IMI_REQUIRE_FIXTURES(f);
  const std::string dir = CopyModel(f, "tiny-bert", "no-onnx");
  fs::remove_all(fs::path(dir) / "onnx");
  CliRun r = RunEmbed(dir, "hello\n");
  ExpectOneErrorLine(r, "no ONNX file");
  EXPECT_EQ(r.exit_code, 3);
}

TEST(EmbedErrorsTest, TokenIdsBeyondTheModelVocabularyAreRejected) {
  IMI_REQUIRE_FIXTURES(f);
  // The model has 1000 rows; the tokenizer has 32002 entries.
  EmbedderConfig config;
  config.model_path = f.Path("tiny-bert-vocab1000");
  auto e = Embedder::Load(config);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto enc = (*e)->Encode("東京タワーは美しい夜景で知られています", {});
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(enc.status().message().find("beyond the model's vocabulary of 1000"), std::string::npos);
  CliRun r = RunEmbed(f.Path("tiny-bert-vocab1000"), "東京タワーは美しい夜景で知られています\n");
  ExpectOneErrorLine(r, "vocabulary");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(EmbedErrorsTest, UnexpectedModelInputNamesAreRejected) {
  IMI_REQUIRE_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = f.Path("tiny-bert-renamed-input");
  auto e = Embedder::Load(config);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  CliRun r = RunEmbed(f.Path("tiny-bert-renamed-input"), "hello\n");
  ExpectOneErrorLine(r, "model input 'segment_ids'");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(EmbedErrorsTest, InvalidUtf8InputIsOneLineNamingTheLine) {
  IMI_REQUIRE_FIXTURES(f);
  CliRun r = RunEmbed(f.Path("tiny-bert"), "fine\nbad \xff\xfe byte\n");
  ExpectOneErrorLine(r, "input line 2: input is not valid UTF-8");
  EXPECT_EQ(r.exit_code, 2);
  EmbedderConfig config;
  config.model_path = f.Path("tiny-bert");
  auto e = Embedder::Load(config);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Encode("\xc3", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(EmbedErrorsTest, TooLongInputWithTruncationOffIsUnprocessable) {
  IMI_REQUIRE_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = f.Path("tiny-bert");
  config.max_seq_length = 8;
  auto e = Embedder::Load(config);
  ASSERT_TRUE(e.ok());
  EmbedOptions o;
  o.truncate = false;
  const std::string text = "a long sentence that certainly has more than eight tokens in it";
  EXPECT_EQ((*e)->Encode(text, o).status().code(), StatusCode::kUnprocessable);
  auto ok = (*e)->Encode(text, {});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->truncated);
  EXPECT_EQ(ok->token_count, 8u);
}

TEST(EmbedErrorsTest, MaxLengthBeyondThePositionTableIsRejected) {
  IMI_REQUIRE_FIXTURES(f);
  EmbedderConfig config;
  config.model_path = f.Path("tiny-xlmr");
  config.max_seq_length = 513;  // 514 positions - padding_idx - 1
  EXPECT_EQ(Embedder::Load(config).status().code(), StatusCode::kInvalidArgument);
  config.max_seq_length = 512;
  EXPECT_TRUE(Embedder::Load(config).ok());
}

TEST(EmbedErrorsTest, UnknownPromptNameListsTheModelsPrompts) {
  IMI_REQUIRE_FIXTURES(f);
  CliRun r = RunEmbed(f.Path("tiny-xlmr"), "hello\n", "--prompt-name nope");
  ExpectOneErrorLine(r, "unknown prompt name 'nope' (the model has: passage, query)");
}

TEST(EmbedCliTest, PrintsTheVariantChoiceAndOneJsonLinePerInput) {
  IMI_REQUIRE_FIXTURES(f);
  std::string out;
  const fs::path in = fs::path(IMI_BINARY_DIR) / "tests/model/cli_input.jsonl";
  std::ofstream(in) << "{\"text\":\"こんにちは\"}\n\n{\"text\":\"hello\"}\n";
  const int rc = testing::RunCommand(Imi() + " embed --model " + f.Path("tiny-xlmr") +
                                         " --jsonl --dimensions 8 < " + in.string() + " 2>" +
                                         in.string() + ".err",
                                     &out);
  ASSERT_EQ(rc, 0) << out;
  std::ifstream err(in.string() + ".err");
  std::string first;
  std::getline(err, first);
  EXPECT_EQ(first.rfind("imi embed: variant onnx/model_", 0), 0u) << first;
  size_t lines = 0;
  for (size_t p = 0; (p = out.find("{\"embedding\":[", p)) != std::string::npos; ++p) ++lines;
  EXPECT_EQ(lines, 2u) << out;
}

TEST(EmbedCliTest, NpyOutputHasAHeaderAndRowsTimesDimensionFloats) {
  IMI_REQUIRE_FIXTURES(f);
  std::string out;
  const fs::path in = fs::path(IMI_BINARY_DIR) / "tests/model/cli_input.txt";
  std::ofstream(in) << "one\ntwo\nthree\n";
  ASSERT_EQ(testing::RunCommand(Imi() + " embed --model " + f.Path("tiny-bert") + " --format npy < " +
                                    in.string() + " 2>/dev/null",
                                &out),
            0);
  ASSERT_GT(out.size(), 10u);
  EXPECT_EQ(out.substr(0, 6), "\x93NUMPY");
  const size_t header = 10 + static_cast<unsigned char>(out[8]) + 256 * static_cast<unsigned char>(out[9]);
  EXPECT_EQ(header % 64, 0u);
  EXPECT_NE(out.find("'shape': (3, 32)"), std::string::npos);
  EXPECT_EQ(out.size() - header, 3u * 32u * sizeof(float));
}

}  // namespace
}  // namespace imi::model

namespace imi::model {
namespace {

TEST(EmbedCliTest, NormalizeTextEmbedsTheNormalisedTextAndIsOffByDefault) {
  IMI_REQUIRE_FIXTURES(f);
  const fs::path wide = fs::path(IMI_BINARY_DIR) / "tests/model/cli_wide.txt";
  const fs::path narrow = fs::path(IMI_BINARY_DIR) / "tests/model/cli_narrow.txt";
  // neologdn drops the space between Japanese words and the tildes; the
  // tokenizer's own normaliser keeps both.
  std::ofstream(wide) << "東京　タワー〜〜\n";
  std::ofstream(narrow) << "東京タワー\n";
  const std::string cmd = Imi() + " embed --model " + f.Path("tiny-bert") + " --variant fp32 ";
  std::string a, b, c;
  ASSERT_EQ(testing::RunCommand(cmd + "--normalize-text < " + wide.string() + " 2>/dev/null", &a), 0);
  ASSERT_EQ(testing::RunCommand(cmd + "< " + narrow.string() + " 2>/dev/null", &b), 0);
  ASSERT_EQ(testing::RunCommand(cmd + "< " + wide.string() + " 2>/dev/null", &c), 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(c, b);
}

}  // namespace
}  // namespace imi::model
