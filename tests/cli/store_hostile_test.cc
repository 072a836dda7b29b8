// Hostile conditions for the store and the CLI, black-box against build/imi
// with the generated tiny model (CTest label "hostile"): concurrent store
// creation, an index file outliving its database, a concurrent writer beside
// a server, bad input files, deep nesting, huge lines, a full disk.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "serve_test_model.h"

namespace imi::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Distinct short Japanese texts: document i of a set.
std::string Text(const std::string& set, int i) {
  static const char* kWords[] = {"市役所", "図書館", "公園", "水道", "ごみ", "保育園", "バス", "道路", "税金", "選挙",
                                 "病院", "消防", "学校", "住民票", "駐輪場", "体育館", "防災", "花火", "給食", "墓地"};
  std::mt19937 rng(static_cast<uint32_t>(i * 7919 + set.size() * 31 + static_cast<unsigned char>(set[0])));
  std::string text = set + std::to_string(i) + " ";
  for (int w = 0; w < 6; ++w) text += kWords[rng() % 20];
  return text + "のお知らせです。";
}

class StoreHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    model_ = ServeTestModel(&skip);
    if (model_.empty()) {
      if (!skip.empty()) GTEST_SKIP() << skip;
      FAIL() << "generating the test model failed (see tests/server/make_serve_model.sh)";
    }
    char pattern[] = "/tmp/imi-store-hostile.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  Ran Imi(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), ImiBinary());
    return RunProgram(args, dir_, stdin_path);
  }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  // A .jsonl of documents "<set><i>" with Text(set, i).
  std::string Jsonl(const std::string& name, const std::string& set, int n) {
    std::string content;
    for (int i = 0; i < n; ++i) content += json{{"id", set + std::to_string(i)}, {"text", Text(set, i)}}.dump() + "\n";
    return Write(name, content);
  }
  // Documents of the collection, from imi collections --json (-1 if absent).
  int64_t Documents(const std::string& store, const std::string& collection) {
    Ran list = Imi({"collections", "--json", "--store", store});
    if (list.exit_code != 0) return -1;
    json all = json::parse(list.out, nullptr, false);
    if (!all.is_array()) return -1;
    for (const json& c : all)
      if (c.value("name", "") == collection) return c.value("documents", int64_t{-1});
    return -1;
  }
  // The top hit of `query` (imi search --json -k 1), or "".
  std::string Top(const std::string& store, const std::string& query, std::string* err = nullptr) {
    Ran search = Imi({"search", "--collection", "c", "--store", store, "--model", model_, "--json", "-k", "1", query});
    if (err) *err += search.err;
    // --json prints the HTTP API's search response: {"results": [...], ...}.
    json out = json::parse(search.out, nullptr, false);
    if (search.exit_code != 0 || !out.is_object() || !out.contains("results")) return "";
    const json& hits = out["results"];
    if (!hits.is_array() || hits.empty()) return "";
    return hits[0].value("id", "");
  }

  std::string model_;
  std::string dir_;
};

// Finding 7: 4 x imi index at once on a new store failed 10 runs in 100
// with UNIQUE constraint errors.
TEST_F(StoreHostileTest, FourIndexersAtOnceOnANewStoreAllSucceed) {
  const std::string input = Jsonl("race.jsonl", "r", 3);
  for (int round = 0; round < 2; ++round) {
    const std::string store = dir_ + "/race-" + std::to_string(round);
    std::vector<std::future<Ran>> runs;
    for (int p = 0; p < 4; ++p)
      runs.push_back(std::async(std::launch::async, [&] {
        return Imi({"index", "--collection", "c", "--store", store, "--model", model_, input});
      }));
    for (auto& run : runs) {
      Ran r = run.get();
      EXPECT_EQ(r.exit_code, 0) << "round " << round << ": " << r.err;
    }
    EXPECT_EQ(Documents(store, "c"), 3);
  }
}

// Finding 2: with imi.sqlite3 deleted and index/ kept, re-indexing other
// documents in as many batches let the old HNSW file answer (3 of 20
// documents found themselves).
TEST_F(StoreHostileTest, AnIndexFileOutlivingItsDatabaseIsRebuiltNotServed) {
  const std::string store = dir_ + "/stale";
  const int n = 2100;  // above the 2048 chunks from which searches use the HNSW index
  Ran first = Imi({"index", "--collection", "c", "--store", store, "--model", model_, "--batch", "5000",
                   Jsonl("old.jsonl", "old", n)});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(Top(store, Text("old", 5)), "old5");
  ASSERT_TRUE(fs::exists(store + "/index"));
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(store + "/imi.sqlite3" + suffix);
  Ran second = Imi({"index", "--collection", "c", "--store", store, "--model", model_, "--batch", "5000",
                    Jsonl("new.jsonl", "new", n)});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  std::string err = second.err;
  int found = 0;
  for (int i = 0; i < n; i += n / 5) found += Top(store, Text("new", i), &err) == "new" + std::to_string(i) ? 1 : 0;
  EXPECT_EQ(found, 5) << "the stale index answered:\n" << err;
  EXPECT_NE(err.find("rebuilding the search index from the database"), std::string::npos) << err;
  EXPECT_NE(err.find("written by another store"), std::string::npos) << err;
}

// Finding 10: bad files are named and skipped, the summary counts them, what
// is stored does not depend on batch boundaries, odd paths get safe ids,
// FIFOs are skipped; --strict stops at the first.
TEST_F(StoreHostileTest, BadInputFilesAreNamedAndSkippedWhole) {
  const std::string in = dir_ + "/in";
  Write("in/a-good.txt", "桜ヶ丘市の図書館は月曜日が休館です。");
  Write("in/b-bad.txt", "途中で壊れた\xff\xfeテキスト");
  std::string lines;
  for (int i = 0; i < 5; ++i) lines += json{{"id", "j" + std::to_string(i)}, {"text", Text("j", i)}}.dump() + "\n";
  Write("in/c-good.jsonl", lines);
  Write("in/d-bad.jsonl", lines + "{\"id\": \"x\"}\n" + lines);
  Write("in/e-line\nbreak.txt", "改行を含む名前のファイルです。");
  std::string deep_dir = in;
  while (deep_dir.size() < 320) deep_dir += "/長いディレクトリ名";
  Write(deep_dir.substr(dir_.size() + 1) + "/f-long.txt", "長いパスのファイルです。");
  ASSERT_EQ(::mkfifo((in + "/g-fifo.txt").c_str(), 0644), 0);

  std::vector<int64_t> stored;
  for (const char* batch : {"1", "2", "100"}) {
    const std::string store = dir_ + "/files-" + batch;
    Ran r = Imi({"index", "--collection", "c", "--store", store, "--model", model_, "--batch", batch, in});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("b-bad.txt: not valid UTF-8 at byte"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("d-bad.jsonl:6: needs a string \"text\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("g-fifo.txt: not a regular file"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("skipped 3 files"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("from 4 files"), std::string::npos) << r.out;
    stored.push_back(Documents(store, "c"));
  }
  // a-good, 5 of c-good, the newline name, the long path.
  EXPECT_EQ(stored, (std::vector<int64_t>{8, 8, 8}));

  Ran strict = Imi({"index", "--collection", "c", "--store", dir_ + "/strict", "--model", model_, "--strict", in});
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_NE(strict.err.find("b-bad.txt: not valid UTF-8"), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("after storing 1 documents of the 1 file before it"), std::string::npos) << strict.err;
  EXPECT_EQ(Documents(dir_ + "/strict", "c"), 1);
}

// Finding 6: a .jsonl line nested 100,000 deep crashed imi index; 10,000
// deep was stored and then every filtered search failed.
TEST_F(StoreHostileTest, DeeplyNestedJsonLinesAreRefusedBeforeStoring) {
  auto nested = [](int depth) {
    return "{\"text\": \"深い\", \"m\": " + std::string(static_cast<size_t>(depth), '[') + "1" +
           std::string(static_cast<size_t>(depth), ']') + "}\n";
  };
  Write("deep/a.jsonl", nested(100000));
  Write("deep/b.jsonl", nested(10000));
  Write("deep/c.jsonl", "{\"id\": \"ok\", \"text\": \"浅い\", \"m\": " + std::string(30, '[') + "1" + std::string(30, ']') +
                            ", \"k\": \"v\"}\n");
  const std::string store = dir_ + "/deep-store";
  Ran r = Imi({"index", "--collection", "c", "--store", store, "--model", model_, dir_ + "/deep"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("a.jsonl:1: nests arrays/objects deeper than 32 levels"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("b.jsonl:1: nests arrays/objects deeper than 32 levels"), std::string::npos) << r.err;
  Ran search = Imi({"search", "--collection", "c", "--store", store, "--model", model_, "--json", "--filter",
                    "{\"k\": \"v\"}", "浅い"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  json hits = json::parse(search.out)["results"];
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["id"], "ok");
}

// Finding 4: one 200 MB line passed 8 GB in imi embed; a 20 MB line took
// 1.9 GB and 25 s for one vector cut to 128 tokens.
TEST_F(StoreHostileTest, AHugeLineIsEmbeddedFromWhatTruncationKeepsAndAnOverlongOneIsNamed) {
  std::string line;
  while (line.size() < (15u << 20)) line += Text("long", static_cast<int>(line.size() % 977));
  const std::string path = Write("huge.txt", line + "\n短い行\n");
  Ran r = Imi({"embed", "--model", model_}, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out.substr(0, 200);
  EXPECT_NE(r.err.find("1 input(s) truncated"), std::string::npos) << r.err;
  // The line itself is read (15 MB) and copied once; tokens are only made
  // for what truncation keeps (tokenising all of 20 MB took 1.9 GB).
  EXPECT_LT(r.max_rss_kb, 400 * 1024) << "peak RSS " << r.max_rss_kb << " KiB";

  // Over the default line limit of 16 MiB: named, not buffered.
  std::string longer = line;
  while (longer.size() < (17u << 20)) longer += line.substr(0, 1u << 20);
  Ran too_long = Imi({"embed", "--model", model_}, Write("longer.txt", "短い行\n" + longer + "\n"));
  EXPECT_EQ(too_long.exit_code, 2);
  EXPECT_NE(too_long.err.find("<stdin>:2: line longer than 16777216 bytes"), std::string::npos) << too_long.err;

  Ran over = Imi({"embed", "--model", model_, "--max-line-bytes", "1000000"}, path);
  EXPECT_EQ(over.exit_code, 2);
  EXPECT_NE(over.err.find("<stdin>:1: line longer than 1000000 bytes"), std::string::npos) << over.err;

  // imi index: over the document limit is skipped by name; below it, chunked.
  Write("docs/huge.txt", line);
  Write("docs/small.txt", line.substr(0, 300000));
  Ran index = Imi({"index", "--collection", "c", "--store", dir_ + "/huge-store", "--model", model_,
                   "--max-document-bytes", "8000000", dir_ + "/docs"});
  ASSERT_EQ(index.exit_code, 0) << index.err;
  EXPECT_NE(index.err.find("huge.txt: " + std::to_string(line.size()) + " bytes, more than 8000000"),
            std::string::npos)
      << index.err;
  EXPECT_NE(index.out.find("indexed 1 documents"), std::string::npos) << index.out;
}

// Finding 11: a full disk while saving the index at the end said nothing
// about the documents already committed. The index directory is a 64 KiB
// tmpfs of its own (a mount namespace, as root), so the database fits and
// the index file does not.
TEST_F(StoreHostileTest, AFullDiskAtTheIndexSaveSaysTheDocumentsAreSafe) {
  const std::string store = dir_ + "/full";
  fs::create_directories(store + "/index");
  const std::string input = Jsonl("full.jsonl", "f", 2100);
  const std::string script = "mount -t tmpfs -o size=64k imi-test '" + store + "/index' || exit 97; '" + ImiBinary() +
                             "' index --collection c --store '" + store + "' --model '" + model_ +
                             "' --batch 5000 '" + input + "'; echo \"index exit $?\" >&2; '" + ImiBinary() +
                             "' collections --json --store '" + store + "'";
  Ran r = RunProgram({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script}, dir_);
  if (r.exit_code == 97 || r.err.find("unshare failed") != std::string::npos ||
      r.err.find("Operation not permitted") != std::string::npos)
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here: " << r.err;
  EXPECT_NE(r.err.find("index exit 6"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the 2100 documents are stored and safe, but saving the search index failed"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rebuilds the index from the stored documents"), std::string::npos) << r.err;
  json list = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1) << r.out;
  EXPECT_EQ(list[0]["documents"], 2100);
}

}  // namespace
}  // namespace imi::testing
