#ifndef IMI_LEXICAL_BM25_H_
#define IMI_LEXICAL_BM25_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "base/status.h"

namespace imi::lexical {

// BM25 as Lucene's BM25Similarity defines it (docs/lexical.md), computed in
// double precision with exact chunk lengths (Lucene stores lengths in one
// lossy byte and scores in float). Every backend evaluates these very
// expressions in this order, so scores agree to the last bit.
struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
};

// InvalidArgument unless k1 is finite and in [0, 1000] and b in [0, 1].
Status ValidateBm25(const Bm25Params& params);

// idf = ln(1 + (N - n + 0.5) / (n + 0.5)): n chunks of N contain the term.
inline double Bm25Idf(int64_t n, int64_t N) {
  return std::log(1 + ((static_cast<double>(N) - static_cast<double>(n)) + 0.5) / (static_cast<double>(n) + 0.5));
}

// One query term's share of a chunk's score: the term occurs qtf times in
// the query and tf times in the chunk of dl terms; avgdl is the mean length.
inline double Bm25TermScore(int64_t qtf, double idf, int64_t tf, int64_t dl, double avgdl, const Bm25Params& p) {
  return static_cast<double>(qtf) * idf * static_cast<double>(tf) /
         (static_cast<double>(tf) + p.k1 * (1 - p.b + p.b * static_cast<double>(dl) / avgdl));
}

// A distinct query term and how often the analysed query holds it.
struct QueryTerm {
  std::string term;
  int64_t count = 0;
};

// The distinct terms of analysed query tokens, in bytewise term order (the
// order every backend sums term scores in).
std::vector<QueryTerm> CountQueryTerms(const std::vector<analysis::Token>& tokens);

// A chunk's terms as the index stores them: distinct terms in bytewise
// order with their frequency, and the chunk length (number of tokens).
struct TermCounts {
  std::vector<std::pair<std::string, uint32_t>> terms;
  uint32_t length = 0;
};
TermCounts CountTerms(const std::vector<analysis::Token>& tokens);

// Compact binary form of TermCounts stored per chunk (docs/store-format.md):
// varint term count, then per term varint byte length, bytes, varint tf.
std::string EncodeTermCounts(const TermCounts& counts);
// DataLoss when `blob` is not a valid encoding.
Status DecodeTermCounts(std::string_view blob, TermCounts* out);

}  // namespace imi::lexical

#endif  // IMI_LEXICAL_BM25_H_
