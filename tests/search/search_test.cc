#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "search/chunker.h"
#include "search/document_reader.h"
#include "search/html_text.h"

namespace imi::search {
namespace {

std::string CityDir() { return std::string(IMI_SOURCE_DIR) + "/tests/data/store/city"; }

TEST(HtmlTextTest, KeepsVisibleTextTitleAndCanonicalUrlAndDropsScriptsStylesComments) {
  HtmlText page = ExtractHtmlText(
      "<html><head><title>ごみ &amp; リサイクル | 市</title><style>p{color:red}</style>"
      "<link rel=\"canonical\" href=\"https://example.jp/a?x=1&amp;y=2\"><SCRIPT>var s = '<p>';</SCRIPT></head>"
      "<body><h1>見出し</h1><!-- hidden --><p>一行目&nbsp;です。</p><p>&#x6841;&#26481;</p></body></html>");
  EXPECT_EQ(page.title, "ごみ & リサイクル | 市");
  EXPECT_EQ(page.url, "https://example.jp/a?x=1&y=2");
  EXPECT_EQ(page.text, "見出し\n一行目 です。\n桁東");
}

TEST(HtmlTextTest, MalformedMarkupDegradesToText) {
  HtmlText page = ExtractHtmlText("<p>開いたまま <b>太字 <script>never closed");
  EXPECT_EQ(page.text, "開いたまま 太字");
}

TEST(HtmlTextTest, ClosingTagsOfDroppedElementsMatchInAnyCase) {
  HtmlText page = ExtractHtmlText("<p>a</p><STYLE>p{}</sTyLe ><p>b</p><noscript>n</NOSCRIPT><p>c</p><script>s</scrip>");
  EXPECT_EQ(page.text, "a\nb\nc");
}

TEST(HtmlTextTest, EntitiesEndWithinTenBytesOrStayText) {
  EXPECT_EQ(ExtractHtmlText("<p>&#x1F600; &amp &#1234567890; &#128512;</p>").text, "😀 &amp &#1234567890; 😀");
}

// Found while fuzzing search/html_text: every <script> copied the rest of the
// page, and every '&' without ';' scanned to its end, so pages like these took
// minutes. They must come out right (and, without a timing assertion, fast).
TEST(HtmlTextTest, ThousandsOfScriptsAndBareAmpersandsComeOutRight) {
  std::string html = "<p>x</p>";
  for (int i = 0; i < 20000; ++i) html += "<script>var a = 1;</script>";
  const std::string ampersands(300000, '&');
  html += "<p>";
  html += ampersands;
  html += "</p>";
  std::string expected = "x\n";
  expected += ampersands;
  EXPECT_EQ(ExtractHtmlText(html).text, expected);
}

TEST(DocumentReaderTest, ListsSupportedFilesRecursivelyInOrder) {
  auto files = ListInputFiles({CityDir()});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 7u);
  EXPECT_TRUE(std::is_sorted(files->begin(), files->end()));
  EXPECT_EQ(ListInputFiles({CityDir() + "/missing"}).status().code(), StatusCode::kNotFound);
}

TEST(DocumentReaderTest, HtmlPagesCarryTitleUrlAndSource) {
  auto docs = ReadDocuments(CityDir() + "/pages/gomi.html");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 1u);
  const SourceDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.metadata["title"], "ごみの分け方・出し方 | 桜ヶ丘市");
  EXPECT_EQ(doc.metadata["url"], "https://www.city.sakuragaoka.example.jp/kurashi/gomi.html");
  EXPECT_NE(doc.text.find("粗大ごみ受付センター"), std::string::npos);
  EXPECT_EQ(doc.text.find("analytics"), std::string::npos);
  EXPECT_EQ(doc.text.find("font-family"), std::string::npos);
}

TEST(DocumentReaderTest, JsonLinesKeepIdTextAndOtherKeysAsMetadata) {
  auto docs = ReadDocuments(CityDir() + "/notices.jsonl");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 5u);
  EXPECT_EQ((*docs)[0].id, "notice-2026-001");
  EXPECT_EQ((*docs)[0].metadata["category"], "水道");
  EXPECT_FALSE((*docs)[0].metadata.contains("text"));
}

TEST(DocumentReaderTest, BadJsonLineIsInvalidArgumentNamingTheLine) {
  std::string path = std::filesystem::temp_directory_path() / ("imi-search-test-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(path);
    out << "{\"text\": \"ok\"}\n{\"id\": 1}\n";
  }
  auto docs = ReadDocuments(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(docs.status().message().find(":2:"), std::string::npos) << docs.status().message();
}

TEST(DocumentReaderTest, IntegerIdsKeepTheirDigits) {
  std::string path = std::filesystem::temp_directory_path() / ("imi-search-ids-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(path);
    out << "{\"id\": 18446744073709551615, \"text\": \"a\"}\n{\"id\": -5, \"text\": \"b\"}\n";
  }
  auto docs = ReadDocuments(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].id, "18446744073709551615");
  EXPECT_EQ((*docs)[1].id, "-5");
}

TEST(ChunkerTest, WindowsCoverTheTextWithOverlapAndByteOffsets) {
  std::string tokenizer = std::string(IMI_SHARED_DIR) + "/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json";
  if (!std::filesystem::exists(tokenizer)) GTEST_SKIP() << "shared tokenizer missing: " << tokenizer;
  auto chunker = Chunker::Load(tokenizer, 16, 4);
  ASSERT_TRUE(chunker.ok()) << chunker.status().ToString();
  std::string text =
      "桜ヶ丘市では、ごみを四つに分けて収集しています。生ごみや紙くずは燃やすごみです。"
      "ペットボトルはキャップとラベルを外してください。粗大ごみは事前に申し込んでください。";
  auto chunks = (*chunker)->Split(text);
  ASSERT_TRUE(chunks.ok());
  ASSERT_GT(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].start_offset, 0);
  EXPECT_EQ(static_cast<size_t>(chunks->back().end_offset), text.size());
  for (size_t i = 0; i < chunks->size(); ++i) {
    const TextChunk& c = (*chunks)[i];
    EXPECT_LE(c.tokens, 14u);  // 16 minus <s> and </s>
    EXPECT_EQ(c.text, text.substr(c.start_offset, c.end_offset - c.start_offset));
    if (i > 0) {
      EXPECT_LT(c.start_offset, (*chunks)[i - 1].end_offset) << "chunks must overlap";
    }
  }
  EXPECT_EQ(Chunker::Load(tokenizer, 16, 14).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace imi::search
