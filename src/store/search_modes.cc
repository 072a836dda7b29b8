#include "store/search_modes.h"

#include <algorithm>
#include <set>

#include "analysis/analyzer.h"
#include "store/lexical_analysis.h"
#include "store/rescore.h"

namespace imi::store {

namespace {

constexpr int kDefaultDepth = 100;
constexpr int kMaxDepth = 1000;

// One component's ranked hits.
struct Component {
  std::string name;
  std::string analyzer;  // lexical components only
  bool higher_is_better = true;
  std::vector<SearchHit> hits;
};

Status NeedInput(std::string_view mode, std::string_view what) {
  return Status::InvalidArgument(std::string(mode) + " search needs " + std::string(what));
}

// Highlights of every lexical component's query terms in `text`, merged.
Result<std::vector<lexical::Highlight>> Highlights(const std::vector<Component>& components, const std::string& query,
                                                   const std::string& text) {
  std::vector<lexical::Highlight> all;
  for (const Component& c : components) {
    if (c.analyzer.empty()) continue;
    IMI_ASSIGN_OR_RETURN(std::shared_ptr<const analysis::Analyzer> analyzer, analysis::GetAnalyzer(c.analyzer));
    IMI_ASSIGN_OR_RETURN(std::vector<analysis::Token> tokens, analyzer->Analyze(query));
    std::set<std::string> terms;
    for (const analysis::Token& t : tokens) terms.insert(t.term);
    IMI_ASSIGN_OR_RETURN(std::vector<lexical::Highlight> found, lexical::FindHighlights(*analyzer, text, terms));
    all.insert(all.end(), found.begin(), found.end());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<lexical::Highlight> merged;
  for (const lexical::Highlight& h : all) {
    if (!merged.empty() && h.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, h.end);
    } else {
      merged.push_back(h);
    }
  }
  return merged;
}

}  // namespace

Result<SearchMode> ParseSearchMode(std::string_view name) {
  if (name == "dense") return SearchMode::kDense;
  if (name == "lexical") return SearchMode::kLexical;
  if (name == "sparse") return SearchMode::kSparse;
  if (name == "hybrid") return SearchMode::kHybrid;
  if (name == "m3") return SearchMode::kM3;
  return Status::InvalidArgument("unknown search mode \"" + std::string(name) +
                                 "\"; use dense, lexical, sparse, hybrid or m3");
}

std::string_view SearchModeName(SearchMode mode) {
  switch (mode) {
    case SearchMode::kDense: return "dense";
    case SearchMode::kLexical: return "lexical";
    case SearchMode::kSparse: return "sparse";
    case SearchMode::kHybrid: return "hybrid";
    case SearchMode::kM3: return "m3";
  }
  return "dense";
}

Result<ModeSearchResponse> SearchByMode(VectorStore* store, const std::string& collection,
                                        const ModeSearchRequest& request) {
  if (request.k < 1 || request.k > 10000) return Status::InvalidArgument("k must be between 1 and 10000");
  if (request.depth < 0 || request.depth > kMaxDepth) {
    return Status::InvalidArgument("fusion depth must be between 1 and " + std::to_string(kMaxDepth));
  }
  if (request.fusion.rrf_k <= 0 || !(request.fusion.rrf_k < 1e9)) {
    return Status::InvalidArgument("the RRF constant k must be a positive number");
  }
  for (const auto& [name, weight] : request.fusion.weights) {
    if (!(weight >= 0 && weight <= 1e6)) {
      return Status::InvalidArgument("fusion weight of \"" + name + "\" must be between 0 and 1000000");
    }
  }
  if (request.mode == SearchMode::kM3) return SearchM3(store, collection, request);
  const bool hybrid = request.mode == SearchMode::kHybrid;
  const std::string_view mode_name = SearchModeName(request.mode);
  IMI_ASSIGN_OR_RETURN(CollectionInfo info, store->GetCollection(collection));

  // Which components run.
  const bool dense = request.mode == SearchMode::kDense || (hybrid && !request.vector.empty());
  const bool sparse = request.mode == SearchMode::kSparse || (hybrid && !request.sparse.empty());
  std::vector<std::string> analyzers;
  if (request.mode == SearchMode::kLexical || (hybrid && !request.query.empty())) {
    for (const std::string& a : request.analyzers) {
      IMI_ASSIGN_OR_RETURN(std::string canonical, analysis::CanonicalAnalyzerName(a));
      analyzers.push_back(canonical);
    }
    if (analyzers.empty() && !info.spec.lexical.analyzers.empty()) {
      if (hybrid) {
        analyzers = info.spec.lexical.analyzers;
      } else {
        analyzers.push_back(info.spec.lexical.analyzers.front());
      }
    }
    if (analyzers.empty() && !hybrid) {
      return Status::FailedPrecondition("collection \"" + collection +
                                        "\" has no lexical index; add one with imi reindex --lexical (or the "
                                        "collection's \"analyzers\")");
    }
  }
  if (request.mode == SearchMode::kDense && request.vector.empty()) return NeedInput(mode_name, "a query vector");
  if (request.mode == SearchMode::kLexical && request.query.empty()) return NeedInput(mode_name, "a query text");
  if (request.mode == SearchMode::kSparse && request.sparse.empty()) return NeedInput(mode_name, "a sparse vector");
  if (request.mode == SearchMode::kLexical && analyzers.size() > 1) {
    return Status::InvalidArgument("lexical search uses one analyzer; use hybrid mode to fuse several");
  }
  if (hybrid && !dense && !sparse && analyzers.empty()) {
    return NeedInput(mode_name, "at least one component: a query text (dense or lexical), a vector or a sparse vector");
  }

  const int depth = hybrid ? std::max(request.k, request.depth > 0 ? request.depth : kDefaultDepth) : request.k;
  Include include = request.include;
  include.score = true;  // fusion needs every component's scores
  const bool want_highlights = request.highlights && request.include.text && !request.query.empty();
  std::vector<Component> components;
  ModeSearchResponse response;
  response.mode = request.mode;
  response.metric = request.metric.value_or(info.spec.metric);
  response.exact = true;
  if (dense) {
    SearchRequest r;
    r.vector = request.vector;
    r.k = depth;
    r.metric = request.metric;
    r.filter = request.filter;
    r.include = include;
    r.exact = request.exact;
    r.ef_search = request.ef_search;
    IMI_ASSIGN_OR_RETURN(SearchResponse found, store->Search(collection, r));
    response.metric = found.metric;
    response.exact = found.exact;
    components.push_back(Component{"dense", "", !(found.metric == Metric::kL2 || found.metric == Metric::kL1),
                                   std::move(found.hits)});
  }
  for (const std::string& analyzer : analyzers) {
    LexicalSearchRequest r;
    r.query = request.query;
    r.analyzer = analyzer;
    r.k = depth;
    r.filter = request.filter;
    r.include = include;
    IMI_ASSIGN_OR_RETURN(SearchResponse found, store->SearchLexical(collection, r));
    components.push_back(Component{"lexical:" + analyzer, analyzer, true, std::move(found.hits)});
  }
  if (sparse) {
    SparseSearchRequest r;
    r.vector = request.sparse;
    r.k = depth;
    r.filter = request.filter;
    r.include = include;
    IMI_ASSIGN_OR_RETURN(SearchResponse found, store->SearchSparse(collection, r));
    components.push_back(Component{"sparse", "", true, std::move(found.hits)});
  }
  for (const Component& c : components) response.components.push_back(c.name);

  if (!hybrid) {
    Component& only = components.front();
    for (size_t i = 0; i < only.hits.size(); ++i) {
      ModeSearchHit hit;
      hit.components[only.name] = lexical::ComponentRank{only.hits[i].score, static_cast<int>(i) + 1};
      hit.hit = std::move(only.hits[i]);
      if (!request.include.score) hit.hit.score = 0;
      response.hits.push_back(std::move(hit));
    }
  } else {
    std::vector<lexical::ComponentList> lists;
    for (const Component& c : components) {
      lexical::ComponentList list{c.name, c.higher_is_better, {}};
      for (const SearchHit& h : c.hits) list.ranked.emplace_back(h.document_id, h.score);
      lists.push_back(std::move(list));
    }
    for (lexical::FusedDocument& fused : lexical::Fuse(lists, request.fusion, static_cast<size_t>(request.k))) {
      // The document is shown by its chunk from the component that ranked
      // it best (the earlier component on a tie).
      const SearchHit* best = nullptr;
      int best_rank = 0;
      for (const Component& c : components) {
        auto it = fused.components.find(c.name);
        if (it == fused.components.end() || (best != nullptr && it->second.rank >= best_rank)) continue;
        best = &c.hits[static_cast<size_t>(it->second.rank - 1)];
        best_rank = it->second.rank;
      }
      ModeSearchHit hit;
      hit.hit = *best;
      hit.hit.score = request.include.score ? fused.score : 0;
      hit.components = std::move(fused.components);
      response.hits.push_back(std::move(hit));
    }
  }
  if (want_highlights) {
    for (ModeSearchHit& hit : response.hits) {
      IMI_ASSIGN_OR_RETURN(hit.highlights, Highlights(components, request.query, hit.hit.chunk.text));
    }
  }
  return response;
}

}  // namespace imi::store
