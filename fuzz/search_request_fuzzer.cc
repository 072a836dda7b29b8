// libFuzzer target for the search query parser: the body of
// POST /collections/{name}/search as JSON text (nlohmann's non-throwing
// parse), read by server::ParseSearchBody, and the query text it yields
// analysed by every analyser as a lexical search does. Checks: a Status
// (InvalidArgument, Unprocessable or TooLarge) or a request, never a crash;
// an accepted request has k in 1..10000, fusion depth 0..1000, RRF k > 0,
// weights in [0, 1e6], a canonical sparse vector (indices ascending below
// 10^9, values finite and non-zero) and exactly the inputs its mode takes;
// the query's terms are distinct, non-empty and bytewise ascending with
// counts >= 1; highlights of those terms in the query itself are ordered,
// non-empty, non-overlapping code point ranges within the text, and there is
// one whenever the query has a term.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "base/utf8.h"
#include "lexical/bm25.h"
#include "lexical/highlight.h"
#include "lexical/sparse_vector.h"
#include "server/search_request.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckSparse(const imi::lexical::SparseVector& v) {
  Check(v.indices.size() == v.values.size());
  Check(v.size() <= imi::lexical::kSparseMaxNonZero);
  for (size_t i = 0; i < v.size(); ++i) {
    Check(v.indices[i] <= imi::lexical::kSparseMaxIndex);
    if (i > 0) Check(v.indices[i - 1] < v.indices[i]);
    Check(std::isfinite(v.values[i]) && v.values[i] != 0.0f);
  }
}

void CheckQuery(const std::string& query) {
  static const char* kAnalyzers[] = {"ja-mecab", "ja-bigram", "simple"};
  const size_t code_points = imi::utf8::CountCodePoints(query);
  for (const char* name : kAnalyzers) {
    auto analyzer = imi::analysis::GetAnalyzer(name);
    Check(analyzer.ok());
    auto tokens = (*analyzer)->Analyze(query);
    Check(tokens.ok());
    const std::vector<imi::lexical::QueryTerm> terms = imi::lexical::CountQueryTerms(*tokens);
    std::set<std::string> wanted;
    for (size_t i = 0; i < terms.size(); ++i) {
      Check(!terms[i].term.empty() && terms[i].count >= 1);
      if (i > 0) Check(terms[i - 1].term < terms[i].term);
      wanted.insert(terms[i].term);
    }
    auto highlights = imi::lexical::FindHighlights(**analyzer, query, wanted);
    Check(highlights.ok());
    for (size_t i = 0; i < highlights->size(); ++i) {
      const imi::lexical::Highlight& h = (*highlights)[i];
      Check(h.start < h.end && h.end <= code_points);
      if (i > 0) Check((*highlights)[i - 1].end < h.start);
    }
    Check(terms.empty() == highlights->empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json body =
      nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return 0;
  auto parsed = imi::server::ParseSearchBody(body);
  if (!parsed.ok()) {
    const imi::StatusCode code = parsed.status().code();
    Check(code == imi::StatusCode::kInvalidArgument || code == imi::StatusCode::kUnprocessable ||
          code == imi::StatusCode::kTooLarge);
    Check(!parsed.status().message().empty());
    return 0;
  }
  const imi::store::ModeSearchRequest& r = parsed->request;
  Check(r.k >= 1 && r.k <= 10000);
  Check(r.depth >= 0 && r.depth <= 1000);
  Check(r.fusion.rrf_k > 0 && r.fusion.rrf_k < 1e9);
  for (const auto& [name, weight] : r.fusion.weights) Check(weight >= 0 && weight <= 1e6);
  CheckSparse(r.sparse);
  const bool has_query = parsed->query.has_value();
  Check(has_query == !r.query.empty());
  switch (r.mode) {
    case imi::store::SearchMode::kDense:
      Check(has_query != parsed->has_vector && r.sparse.empty() && r.analyzers.empty());
      break;
    case imi::store::SearchMode::kLexical:
      Check(has_query && !parsed->has_vector && r.sparse.empty() && r.analyzers.size() <= 1);
      break;
    case imi::store::SearchMode::kSparse:
      // A query text only for the reranker.
      Check(!r.sparse.empty() && (!has_query || parsed->rerank_top > 0) && !parsed->has_vector);
      break;
    case imi::store::SearchMode::kHybrid:
      Check(has_query || parsed->has_vector || !r.sparse.empty());
      break;
    case imi::store::SearchMode::kM3:
      Check(has_query != parsed->has_vector && !(has_query && !r.sparse.empty()) && r.analyzers.empty());
      Check(imi::store::ValidateM3Weights(r.m3_weights).ok());
      break;
  }
  Check(parsed->rerank_top >= 0 && parsed->rerank_top <= 1000);
  if (has_query) CheckQuery(r.query);
  return 0;
}
