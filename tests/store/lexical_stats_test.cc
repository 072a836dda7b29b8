// Term statistics stay exact under random upserts, replacements and deletes:
// after every few writes, every BM25 score a backend returns equals a
// brute-force computation over the documents the test knows are stored (to
// 1e-9), for both analysers and for every document (k covers them all), and
// the embedded and PostgreSQL backends return the same scores. The embedded
// store is also reopened (its index then comes from SQLite, not from the
// writes) and must still agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "analysis/analyzer.h"
#include "lexical/bm25.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::TempDir;
using testing::UniqueName;

const std::vector<std::string> kAnalyzers = {"ja-mecab", "ja-bigram"};
constexpr const char* kWords[] = {"水道", "料金", "ごみ", "収集", "月曜日", "図書館", "断水", "工事", "保育園",
                                  "申し込み", "市役所", "防災", "避難所", "桜", "公園", "の", "は", "を", "に", "と",
                                  "お知らせ", "受付", "窓口", "電話", "番号", "休館日", "地図", "案内"};

struct Expected {
  std::string id;
  int ordinal;
  double score;
};

// BM25 of `query` over `docs` by brute force, every matching document.
std::vector<Expected> BruteForce(const std::map<std::string, Document>& docs, size_t field, const std::string& query) {
  auto analyzer = *analysis::GetAnalyzer(kAnalyzers[field]);
  struct ChunkTerms {
    std::string id;
    int ordinal;
    lexical::TermCounts counts;
  };
  std::vector<ChunkTerms> chunks;
  int64_t n = 0, total = 0;
  for (const auto& [id, doc] : docs) {
    for (const Chunk& c : doc.chunks) {
      ChunkTerms ct{id, c.ordinal, lexical::CountTerms(*analyzer->Analyze(c.text))};
      if (ct.counts.length > 0) ++n;
      total += ct.counts.length;
      chunks.push_back(std::move(ct));
    }
  }
  std::vector<Expected> best;
  if (n == 0) return best;
  const double avgdl = static_cast<double>(total) / static_cast<double>(n);
  const std::vector<lexical::QueryTerm> terms = lexical::CountQueryTerms(*analyzer->Analyze(query));
  std::map<std::string, Expected> per_doc;
  for (const ChunkTerms& ct : chunks) {
    double score = 0;
    bool matched = false;
    for (const lexical::QueryTerm& q : terms) {
      auto it = std::find_if(ct.counts.terms.begin(), ct.counts.terms.end(), [&](const auto& t) { return t.first == q.term; });
      if (it == ct.counts.terms.end()) continue;
      int64_t df = 0;
      for (const ChunkTerms& other : chunks) {
        df += std::any_of(other.counts.terms.begin(), other.counts.terms.end(), [&](const auto& t) { return t.first == q.term; });
      }
      score += lexical::Bm25TermScore(q.count, lexical::Bm25Idf(df, n), it->second, ct.counts.length, avgdl, {});
      matched = true;
    }
    if (!matched) continue;
    auto [it, fresh] = per_doc.emplace(ct.id, Expected{ct.id, ct.ordinal, score});
    if (!fresh && (score > it->second.score || (score == it->second.score && ct.ordinal < it->second.ordinal))) {
      it->second = Expected{ct.id, ct.ordinal, score};
    }
  }
  for (auto& [id, e] : per_doc) best.push_back(e);
  std::sort(best.begin(), best.end(), [](const Expected& a, const Expected& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
  });
  return best;
}

std::string RandomText(std::mt19937* rng, int words) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string text;
  for (int i = 0; i < words; ++i) {
    text += kWords[pick(*rng)];
    if ((*rng)() % 5 == 0) text += "。";
  }
  return text;
}

std::vector<std::pair<std::string, std::unique_ptr<VectorStore>>> Backends(const TempDir& dir) {
  std::vector<std::pair<std::string, std::unique_ptr<VectorStore>>> out;
  EmbeddedOptions options;
  options.directory = dir.path();
  out.emplace_back("embedded", std::move(OpenEmbeddedStore(options)).value());
  const char* dsn = std::getenv("IMI_TEST_PG_DSN");
  if (dsn != nullptr && *dsn != '\0') {
    auto pg = OpenPostgresStore(dsn);
    EXPECT_TRUE(pg.ok()) << pg.status().ToString();
    if (pg.ok()) out.emplace_back("postgres", std::move(pg).value());
  }
  return out;
}

void Compare(VectorStore* store, const std::string& backend, const std::string& name,
             const std::map<std::string, Document>& docs, std::mt19937* rng,
             std::map<std::string, std::vector<SearchHit>>* seen) {
  for (size_t field = 0; field < kAnalyzers.size(); ++field) {
    for (int q = 0; q < 4; ++q) {
      const std::string query = RandomText(rng, 1 + static_cast<int>((*rng)() % 3));
      SCOPED_TRACE(backend + " " + kAnalyzers[field] + " query " + query);
      LexicalSearchRequest request;
      request.query = query;
      request.analyzer = kAnalyzers[field];
      request.k = 1000;
      auto found = store->SearchLexical(name, request);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      const std::vector<Expected> expected = BruteForce(docs, field, query);
      ASSERT_EQ(found->hits.size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(found->hits[i].document_id, expected[i].id) << "rank " << i + 1;
        EXPECT_EQ(found->hits[i].chunk.ordinal, expected[i].ordinal) << "rank " << i + 1;
        EXPECT_NEAR(found->hits[i].score, expected[i].score, 1e-9) << "rank " << i + 1;
      }
      (*seen)[kAnalyzers[field] + "\n" + query] = found->hits;
      // A small k prunes with per-term score bounds; the top stays exact.
      for (int k : {1, 3}) {
        request.k = k;
        auto top = store->SearchLexical(name, request);
        ASSERT_TRUE(top.ok()) << top.status().ToString();
        ASSERT_EQ(top->hits.size(), std::min(expected.size(), static_cast<size_t>(k)));
        for (size_t i = 0; i < top->hits.size(); ++i) {
          EXPECT_EQ(top->hits[i].document_id, expected[i].id) << "k " << k << " rank " << i + 1;
          EXPECT_NEAR(top->hits[i].score, expected[i].score, 1e-9) << "k " << k << " rank " << i + 1;
        }
      }
    }
  }
}

TEST(LexicalStatisticsTest, ScoresEqualBruteForceAfterRandomUpsertsAndDeletesOnEveryBackend) {
  TempDir dir;
  auto backends = Backends(dir);
  std::map<std::string, std::map<std::string, std::vector<SearchHit>>> results;  // backend -> query -> hits
  for (auto& [backend, store] : backends) {
    std::mt19937 rng(20261205);  // the same writes and queries on every backend
    CollectionSpec spec;
    spec.name = UniqueName("lexstats");
    spec.model_id = "test/model";
    spec.dimension = 2;
    spec.lexical.analyzers = kAnalyzers;
    ASSERT_TRUE(store->CreateCollection(spec).ok());
    std::map<std::string, Document> docs;
    for (int step = 1; step <= 60; ++step) {
      if (!docs.empty() && rng() % 4 == 0) {
        auto it = docs.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng() % docs.size()));
        ASSERT_TRUE(store->DeleteDocument(spec.name, it->first).ok());
        docs.erase(it);
      } else {
        std::vector<Document> batch;
        std::set<std::string> ids;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) {
          std::string id = "doc" + std::to_string(rng() % 25);
          if (!ids.insert(id).second) continue;
          Document doc;
          doc.id = id;
          const int chunks = 1 + static_cast<int>(rng() % 3);
          for (int c = 0; c < chunks; ++c) {
            Chunk chunk;
            chunk.ordinal = c;
            chunk.text = rng() % 10 == 0 ? "、。" : RandomText(&rng, 2 + static_cast<int>(rng() % 12));
            chunk.vector = {1.0f, static_cast<float>(c)};
            doc.text += chunk.text;
            doc.chunks.push_back(std::move(chunk));
          }
          batch.push_back(doc);
          docs[id] = doc;
        }
        ASSERT_TRUE(store->Upsert(spec.name, batch).ok());
      }
      if (step % 5 == 0) {
        SCOPED_TRACE("step " + std::to_string(step));
        Compare(store.get(), backend, spec.name, docs, &rng, &results[backend]);
        if (HasFatalFailure()) return;
      }
    }
    if (backend == "embedded") {
      // A new process builds its index from SQLite alone.
      store.reset();
      EmbeddedOptions options;
      options.directory = dir.path();
      store = std::move(OpenEmbeddedStore(options)).value();
      std::mt19937 again(7);
      std::map<std::string, std::vector<SearchHit>> ignored;
      Compare(store.get(), "embedded reopened", spec.name, docs, &again, &ignored);
    }
    ASSERT_TRUE(store->DeleteCollection(spec.name).ok());
  }
  if (results.size() == 2) {
    // The same writes and queries: the same scores on both backends.
    const auto& a = results["embedded"];
    const auto& b = results["postgres"];
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [query, hits] : a) {
      const auto& other = b.at(query);
      ASSERT_EQ(hits.size(), other.size()) << query;
      for (size_t i = 0; i < hits.size(); ++i) {
        EXPECT_EQ(hits[i].document_id, other[i].document_id);
        EXPECT_NEAR(hits[i].score, other[i].score, 1e-6);
        EXPECT_EQ(hits[i].score, other[i].score) << "scores are computed in the same order on both backends";
      }
    }
  } else {
    GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: only the embedded backend ran";
  }
}

}  // namespace
}  // namespace imi::store
