// Block-max pruning never changes a result: LexicalIndex::SearchBm25 (which
// skips windows, blocks and candidates by score bounds) returns exactly the
// top k of an exhaustive BM25 scoring of every live chunk — the same chunks,
// bit-identical scores, the same tie order — on random collections with
// frequent and rare terms, many ties, random inserts, replacements and
// removals (through compaction), random k1/b, k from 1 to more than the
// collection, and random filters; with tiny blocks and windows (many
// boundaries) and with the defaults.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "lexical/bm25.h"
#include "store/embedded/lexical_index.h"

namespace imi::store {
namespace {

struct Chunk {
  int64_t id;
  std::string document;
  int ordinal;
  std::vector<lexical::TermCounts> fields;
};

struct Expected {
  int64_t chunk_id;
  std::string document;
  int ordinal;
  double score;
};

// A vocabulary where a few terms are in most chunks and most are rare.
class Zipf {
 public:
  Zipf(size_t terms, double s) {
    double sum = 0;
    for (size_t i = 0; i < terms; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
      cumulative_.push_back(sum);
    }
  }
  std::string operator()(std::mt19937* rng) const {
    std::uniform_real_distribution<double> u(0, cumulative_.back());
    const size_t i = static_cast<size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u(*rng)) -
                                         cumulative_.begin());
    return "t" + std::to_string(i);
  }

 private:
  std::vector<double> cumulative_;
};

lexical::TermCounts RandomTerms(const Zipf& zipf, std::mt19937* rng, int max_length) {
  std::map<std::string, uint32_t> counts;
  const int length = static_cast<int>((*rng)() % static_cast<uint32_t>(max_length + 1));
  for (int i = 0; i < length; ++i) ++counts[zipf(rng)];
  lexical::TermCounts out;
  out.terms.assign(counts.begin(), counts.end());
  out.length = static_cast<uint32_t>(length);
  return out;
}

// Exhaustive BM25 over `live` in `field`: every chunk's score summed in the
// query's term order, the best chunk per accepted document, ranked by score,
// document id, ordinal; the first k.
std::vector<Expected> Exhaustive(const std::map<int64_t, Chunk>& live, size_t field,
                                 const std::vector<lexical::QueryTerm>& query, const lexical::Bm25Params& params,
                                 size_t k, const std::function<bool(const std::string&)>& accept) {
  auto find = [](const lexical::TermCounts& t, const std::string& term) {
    auto it = std::lower_bound(t.terms.begin(), t.terms.end(), term,
                               [](const auto& a, const std::string& b) { return a.first < b; });
    return it != t.terms.end() && it->first == term ? it->second : 0u;
  };
  int64_t n = 0, total = 0;
  std::vector<int64_t> df(query.size());
  for (const auto& [id, c] : live) {
    const lexical::TermCounts& t = c.fields[field];
    if (t.length == 0) continue;
    ++n;
    total += t.length;
    for (size_t i = 0; i < query.size(); ++i) df[i] += find(t, query[i].term) > 0;
  }
  if (n == 0) return {};
  const double avgdl = static_cast<double>(total) / static_cast<double>(n);
  std::map<std::string, Expected> best;
  for (const auto& [id, c] : live) {
    const lexical::TermCounts& t = c.fields[field];
    double score = 0;
    bool matched = false;
    for (size_t i = 0; i < query.size(); ++i) {
      const uint32_t tf = find(t, query[i].term);
      if (tf == 0) continue;
      score += lexical::Bm25TermScore(query[i].count, lexical::Bm25Idf(df[i], n), tf, t.length, avgdl, params);
      matched = true;
    }
    if (!matched || (accept && !accept(c.document))) continue;
    Expected e{id, c.document, c.ordinal, score};
    auto [it, fresh] = best.emplace(c.document, e);
    if (!fresh && (score > it->second.score || (score == it->second.score && c.ordinal < it->second.ordinal))) {
      it->second = e;
    }
  }
  std::vector<Expected> out;
  for (auto& [doc, e] : best) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const Expected& a, const Expected& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.document < b.document;
  });
  if (out.size() > k) out.resize(k);
  return out;
}

struct Scenario {
  uint32_t seed;
  LexicalIndex::Tuning tuning;
  int documents;      // documents written in the first pass
  int vocabulary;     // distinct terms
  double zipf;        // skew: larger means fewer, more frequent terms
  int max_length;     // terms per chunk
  int rounds;         // rounds of removals, replacements and inserts
  int queries;        // per round
};

void RunScenario(const Scenario& s) {
  constexpr size_t kFields = 2;
  std::mt19937 rng(s.seed);
  const Zipf zipf(static_cast<size_t>(s.vocabulary), s.zipf);
  LexicalIndex index(kFields, s.tuning);
  std::map<int64_t, Chunk> live;
  std::map<std::string, std::vector<int64_t>> chunks_of;
  std::vector<Chunk> added;  // every chunk ever added (copies make ties)
  int64_t next_id = 1;
  auto write = [&](const std::string& doc) {
    const int chunks = 1 + static_cast<int>(rng() % 4);
    for (int o = 0; o < chunks; ++o) {
      Chunk c{next_id++, doc, o, {}};
      if (!added.empty() && rng() % 5 == 0) {
        c.fields = added[rng() % added.size()].fields;  // the same terms as another chunk: equal scores
      } else {
        for (size_t f = 0; f < kFields; ++f) c.fields.push_back(RandomTerms(zipf, &rng, s.max_length));
      }
      index.Add(LexicalIndex::ChunkRef{c.id, c.document, c.ordinal}, c.fields, {});
      chunks_of[doc].push_back(c.id);
      added.push_back(c);
      live.emplace(c.id, std::move(c));
    }
  };
  auto remove = [&](const std::string& doc) {
    for (int64_t id : chunks_of[doc]) {
      index.Remove(id, live.at(id).fields);
      live.erase(id);
    }
    chunks_of.erase(doc);
  };
  auto doc_name = [&](uint32_t i) {
    char name[16];
    std::snprintf(name, sizeof(name), "d%05u", i);
    return std::string(name);
  };
  for (int d = 0; d < s.documents; ++d) write(doc_name(static_cast<uint32_t>(d)));

  for (int round = 0; round < s.rounds; ++round) {
    // Removals, replacements (a document's chunks removed, new ones added at
    // the end) and new documents; enough removals to compact the index.
    const int changes = static_cast<int>(chunks_of.size() / 2);
    for (int i = 0; i < changes && !chunks_of.empty(); ++i) {
      auto it = chunks_of.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng() % chunks_of.size()));
      const std::string doc = it->first;
      remove(doc);
      if (rng() % 2 == 0) write(doc);
    }
    for (int i = 0; i < changes / 2; ++i) write(doc_name(static_cast<uint32_t>(s.documents + round * 100000 + i)));
    ASSERT_EQ(index.size(), live.size());

    for (int q = 0; q < s.queries; ++q) {
      const size_t field = rng() % kFields;
      // 1-25 terms, repeats raise qtf; a term nobody has now and then.
      std::map<std::string, int64_t> counts;
      const int length = 1 + static_cast<int>(rng() % 25);
      for (int i = 0; i < length; ++i) ++counts[rng() % 30 == 0 ? "absent" : zipf(&rng)];
      std::vector<lexical::QueryTerm> query;
      for (const auto& [term, count] : counts) query.push_back({term, count});
      lexical::Bm25Params params;
      switch (rng() % 6) {
        case 0: params = {0.0, 0.75}; break;   // every match scores its idf: ties everywhere
        case 1: params = {1.2, 0.0}; break;    // no length normalisation
        case 2: params = {2.0, 1.0}; break;
        case 3: params = {100.0, 0.5}; break;
        default: break;                        // k1 = 1.2, b = 0.75
      }
      const size_t ks[] = {1, 2, 3, 10, 50, 100000};
      const size_t k = ks[rng() % std::size(ks)];
      std::function<bool(const std::string&)> filter;
      const uint32_t keep = rng() % 4;  // 0: no filter; else keep documents whose number is 0 mod 2, 7 or 50
      if (keep != 0) {
        const uint32_t mod = keep == 1 ? 2 : keep == 2 ? 7 : 50;
        filter = [mod](const std::string& doc) { return std::stoul(doc.substr(1)) % mod == 0; };
      }
      LexicalIndex::Accept accept;
      if (filter) accept = [filter](const std::string& doc) -> Result<bool> { return filter(doc); };
      SCOPED_TRACE("seed " + std::to_string(s.seed) + " round " + std::to_string(round) + " query " +
                   std::to_string(q) + " k " + std::to_string(k) + " k1 " + std::to_string(params.k1) + " b " +
                   std::to_string(params.b) + " terms " + std::to_string(query.size()) + " filter " +
                   std::to_string(keep));
      auto found = index.SearchBm25(field, query, params, k, accept);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      const std::vector<Expected> expected = Exhaustive(live, field, query, params, k, filter);
      ASSERT_EQ(found->size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        const LexicalIndex::Scored& got = (*found)[i];
        ASSERT_EQ(got.chunk_id, expected[i].chunk_id) << "rank " << i + 1 << ": " << *got.document_id << " "
                                                      << got.score << " instead of " << expected[i].document
                                                      << " " << expected[i].score;
        ASSERT_EQ(*got.document_id, expected[i].document);
        ASSERT_EQ(got.ordinal, expected[i].ordinal);
        ASSERT_EQ(got.score, expected[i].score) << "rank " << i + 1 << " (bit-identical)";
      }
    }
  }
}

TEST(LexicalIndexTest, PrunedSearchEqualsExhaustiveWithTinyBlocks) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    RunScenario(Scenario{seed, {1 + static_cast<int>(seed % 3), 6}, 600, 60 + 40 * static_cast<int>(seed), 1.1, 30, 3, 40});
    if (HasFatalFailure()) return;
  }
}

TEST(LexicalIndexTest, PrunedSearchEqualsExhaustiveWithDefaultTuning) {
  // Enough chunks for several windows of the default size and removals
  // that compact the index.
  RunScenario(Scenario{11, {}, 6000, 500, 1.0, 40, 2, 25});
}

TEST(LexicalIndexTest, FilterErrorsAreReturned) {
  LexicalIndex index(1);
  for (int64_t i = 1; i <= 50; ++i) {
    lexical::TermCounts t;
    t.terms = {{"a", 1}, {"b", static_cast<uint32_t>(i % 3 + 1)}};
    t.length = 4;
    index.Add(LexicalIndex::ChunkRef{i, "d" + std::to_string(i), 0}, {t}, {});
  }
  auto found = index.SearchBm25(0, {{"a", 1}, {"b", 2}}, {}, 5, [](const std::string&) -> Result<bool> {
    return Status::Unavailable("filter lookup failed");
  });
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace imi::store
