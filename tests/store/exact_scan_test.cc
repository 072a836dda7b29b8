// The exact scorer (QueryScorer) and the embedded exact scan that uses it:
// scores bit-identical to the documented eight-lane double sums, and rankings
// equal to a brute force over every chunk, ties and many-chunk documents
// included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <random>

#include "store/metric.h"
#include "store/rank.h"
#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::RandomVector;
using testing::TempDir;

// The contract of QueryScorer written out plainly: lane j sums elements
// i ≡ j (mod 8) of the full blocks, lanes are added 0..7, then the tail.
double LaneSum(const std::vector<float>& a, const std::vector<float>& b, int kind) {
  auto term = [&](size_t i) {
    double d = static_cast<double>(a[i]) - b[i];
    if (kind == 0) return static_cast<double>(a[i]) * b[i];
    if (kind == 1) return d * d;
    return std::fabs(d);
  };
  double lanes[8] = {};
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8)
    for (size_t j = 0; j < 8; ++j) lanes[j] += term(i + j);
  double sum = 0;
  for (double lane : lanes) sum += lane;
  for (; i < a.size(); ++i) sum += term(i);
  return sum;
}

TEST(QueryScorerTest, ScoresAreBitIdenticalToTheEightLaneDoubleSums) {
  std::mt19937 rng(11);
  for (int dim : {1, 7, 8, 9, 17, 383, 384, 1027}) {
    SCOPED_TRACE(dim);
    for (int round = 0; round < 5; ++round) {
      std::vector<float> q = RandomVector(&rng, dim), v = RandomVector(&rng, dim);
      double cosine = LaneSum(q, v, 0) / std::sqrt(LaneSum(q, q, 0) * LaneSum(v, v, 0));
      EXPECT_EQ(QueryScorer(Metric::kCosine, q.data(), dim).Score(v.data()), cosine);
      EXPECT_EQ(QueryScorer(Metric::kIp, q.data(), dim).Score(v.data()), LaneSum(q, v, 0));
      EXPECT_EQ(QueryScorer(Metric::kL2, q.data(), dim).Score(v.data()), std::sqrt(LaneSum(q, v, 1)));
      EXPECT_EQ(QueryScorer(Metric::kL1, q.data(), dim).Score(v.data()), LaneSum(q, v, 2));
      for (Metric m : {Metric::kCosine, Metric::kIp, Metric::kL2, Metric::kL1})
        EXPECT_EQ(Score(m, q.data(), v.data(), dim), QueryScorer(m, q.data(), dim).Score(v.data()));
    }
  }
}

TEST(QueryScorerTest, CosineWithAZeroVectorIsZero) {
  std::vector<float> zero(384, 0.0f), one(384, 1.0f);
  EXPECT_EQ(QueryScorer(Metric::kCosine, zero.data(), 384).Score(one.data()), 0.0);
  EXPECT_EQ(QueryScorer(Metric::kCosine, one.data(), 384).Score(zero.data()), 0.0);
  EXPECT_NEAR(QueryScorer(Metric::kCosine, one.data(), 384).Score(one.data()), 1.0, 1e-15);
}

struct Expected {
  std::string id;
  int ordinal;
  double score;
};

// Brute force: every chunk scored with Score, each document's best chunk,
// documents in the shared total order, the first k.
std::vector<Expected> BruteForce(const std::vector<Document>& docs, Metric metric, const std::vector<float>& query,
                                 size_t k, const std::function<bool(const Document&)>& keep) {
  struct C {
    std::string document_id;
    int ordinal;
    double score;
  };
  std::vector<C> best;
  for (const Document& doc : docs) {
    if (!keep(doc)) continue;
    std::optional<C> top;
    for (const Chunk& chunk : doc.chunks) {
      C c{doc.id, chunk.ordinal, Score(metric, query.data(), chunk.vector.data(), query.size())};
      if (!top || RankedBefore(metric, c, *top)) top = c;
    }
    best.push_back(*top);
  }
  std::sort(best.begin(), best.end(), [metric](const C& a, const C& b) { return RankedBefore(metric, a, b); });
  std::vector<Expected> out;
  for (size_t i = 0; i < std::min(k, best.size()); ++i) out.push_back({best[i].document_id, best[i].ordinal, best[i].score});
  return out;
}

TEST(EmbeddedExactScanTest, RanksLikeABruteForceWithTiesAndManyChunkDocuments) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  EmbeddedOptions options;
  options.directory = dir.path();
  auto opened = OpenEmbeddedStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  VectorStore& store = **opened;

  const int dim = 12;
  std::mt19937 rng(3);
  // Vectors come from a small pool, so many chunks tie exactly; some
  // documents have dozens of chunks, so the best 4k chunks can belong to
  // fewer than k documents and the scan must widen its selection.
  std::vector<std::vector<float>> pool;
  for (int i = 0; i < 24; ++i) pool.push_back(RandomVector(&rng, dim));
  std::vector<Document> docs;
  for (int d = 0; d < 300; ++d) {
    Document doc;
    doc.id = "doc" + std::to_string((d * 7919) % 1000);  // ids not in insertion order
    doc.text = "text " + doc.id;
    doc.metadata = {{"group", d % 5}};
    int chunks = d % 10 == 0 ? 60 : 1 + d % 4;
    for (int c = 0; c < chunks; ++c) {
      Chunk chunk;
      chunk.ordinal = c;
      chunk.text = doc.text;
      chunk.vector = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
      doc.chunks.push_back(std::move(chunk));
    }
    docs.push_back(std::move(doc));
  }

  for (Metric metric : {Metric::kCosine, Metric::kL2, Metric::kIp, Metric::kL1}) {
    CollectionSpec spec{"exact_" + std::string(MetricName(metric)), "test/model", "r1", dim, metric};
    ASSERT_TRUE(store.CreateCollection(spec).ok());
    auto upserted = store.Upsert(spec.name, docs);
    ASSERT_TRUE(upserted.ok()) << upserted.status().ToString();
    for (int round = 0; round < 4; ++round) {
      // Half the queries are pool vectors themselves: maximal ties at the top.
      std::vector<float> query = round % 2 ? pool[static_cast<size_t>(round)] : RandomVector(&rng, dim);
      for (size_t k : {1u, 10u, 50u, 400u}) {
        for (bool filtered : {false, true}) {
          SCOPED_TRACE(std::string(MetricName(metric)) + " round " + std::to_string(round) + " k " +
                       std::to_string(k) + (filtered ? " filtered" : ""));
          SearchRequest request;
          request.vector = query;
          request.k = static_cast<int>(k);
          request.exact = true;
          if (filtered) {
            auto filter = Filter::Parse(nlohmann::json::parse(R"({"group": {"$in": [1, 3]}})"));
            ASSERT_TRUE(filter.ok());
            request.filter = *filter;
          }
          auto response = store.Search(spec.name, request);
          ASSERT_TRUE(response.ok()) << response.status().ToString();
          EXPECT_TRUE(response->exact);
          auto keep = [filtered](const Document& doc) {
            int group = doc.metadata["group"].get<int>();
            return !filtered || group == 1 || group == 3;
          };
          std::vector<Expected> want = BruteForce(docs, metric, query, k, keep);
          ASSERT_EQ(response->hits.size(), want.size());
          for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(response->hits[i].document_id, want[i].id) << "rank " << i;
            EXPECT_EQ(response->hits[i].chunk.ordinal, want[i].ordinal) << "rank " << i;
            EXPECT_EQ(response->hits[i].score, want[i].score) << "rank " << i;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace imi::store
