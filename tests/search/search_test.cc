#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "search/chunker.h"
#include "search/document_reader.h"
#include "search/html_text.h"
#include "store/vector_store.h"

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
  ASSERT_EQ(files.size(), 7u);
  for (const InputFile& f : files) EXPECT_EQ(f.skip_reason, "") << f.path;
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end(),
                             [](const InputFile& a, const InputFile& b) { return a.path < b.path; }));
  auto missing = ListInputFiles({CityDir() + "/missing"});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].skip_reason, "no such file or directory");
}

// A scratch directory for one test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/imi-reader-test.XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& content) const {
    std::string path = path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DocumentReaderTest, NonRegularFilesAreListedAsSkippedAndNeverOpened) {
  ScratchDir dir;
  const std::string fifo = dir.path() + "/x.txt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  dir.File("a.txt", "a");
  for (const auto& files : {ListInputFiles({dir.path()}), ListInputFiles({fifo})}) {
    bool seen = false;
    for (const InputFile& f : files) {
      if (f.path == fifo) {
        seen = true;
        EXPECT_EQ(f.skip_reason, "not a regular file");
      }
    }
    EXPECT_TRUE(seen);
  }
  // Even when asked directly, reading does not block on it.
  FileOutcome outcome = ForEachDocument(fifo, {}, [](SourceDocument) { return Status::Ok(); });
  EXPECT_NE(outcome.input.message().find("not a regular file"), std::string::npos) << outcome.input.ToString();
}

TEST(DocumentReaderTest, ABadFileReachesTheSinkWithNothingAndIsNamed) {
  ScratchDir dir;
  std::string jsonl = "{\"id\":\"a\",\"text\":\"one\"}\n{\"id\":\"b\",\"text\":\"two\"}\n{\"id\":\"c\",\"text\":\"\xff\"}\n";
  std::string deep = "{\"text\":\"x\",\"m\":" + std::string(40, '[') + std::string(40, ']') + "}\n";
  std::string big_metadata = "{\"text\":\"x\",\"m\":\"" + std::string(70000, 'a') + "\"}\n";
  struct Case {
    std::string name, content, expect;
  };
  for (const Case& c : {Case{"bad.txt", "ok\xc3", "bad.txt: not valid UTF-8 at byte 2"},
                        Case{"bad.jsonl", jsonl, "bad.jsonl:3: not valid UTF-8"},
                        Case{"deep.jsonl", deep, "deep.jsonl:1: nests arrays/objects deeper than 32 levels"},
                        Case{"meta.jsonl", big_metadata, "meta.jsonl:1: metadata is 70008 bytes"},
                        Case{"id.jsonl", "{\"id\":\"a\\nb\",\"text\":\"x\"}", "id.jsonl:1: \"id\": document id contains a control character"},
                        Case{"long.jsonl", "{\"text\":\"" + std::string(200, 'x') + "\"}\n", "long.jsonl:1: line longer than 100 bytes"},
                        Case{"long.txt", std::string(200, 'x'), "long.txt: 200 bytes, more than 100"}}) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.File(c.name, c.content);
    size_t sunk = 0;
    InputLimits limits;
    limits.max_document_bytes = c.name.rfind("long", 0) == 0 ? 100 : 1 << 20;
    FileOutcome outcome = ForEachDocument(path, limits, [&](SourceDocument) {
      ++sunk;
      return Status::Ok();
    });
    EXPECT_EQ(sunk, 0u);
    EXPECT_EQ(outcome.input.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(outcome.input.message().find(c.expect), std::string::npos) << outcome.input.message();
  }
}

TEST(DocumentReaderTest, IdsOfOddPathsAreValidDistinctAndKeepTheFileName) {
  const std::string plain = "docs/a.txt";
  EXPECT_EQ(DocumentIdForPath(plain), plain);
  const std::string newline = "docs/line\nbreak.txt";
  const std::string invalid = "docs/\xff\xfe.txt";
  const std::string long_path = std::string(300, 'd') + "/ファイル.txt";
  const std::string long_path2 = std::string(301, 'd') + "/ファイル.txt";
  std::set<std::string> ids;
  for (const std::string& path : {newline, invalid, long_path, long_path2}) {
    const std::string id = DocumentIdForPath(path);
    EXPECT_TRUE(store::ValidateDocumentId(id).ok()) << id;
    EXPECT_LE(id.size(), 256u);
    EXPECT_NE(id.find('#'), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(DocumentIdForPath(newline).rfind("docs/line?break.txt#", 0), 0u) << DocumentIdForPath(newline);
  EXPECT_NE(DocumentIdForPath(long_path).find("/ファイル.txt#"), std::string::npos) << DocumentIdForPath(long_path);
  EXPECT_EQ(DocumentIdForPath(long_path), DocumentIdForPath(long_path)) << "ids must be stable across runs";
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
