// imi search: ranks a collection's documents for a query by meaning (dense),
// by words (lexical, BM25), by a sparse vector, or all fused (hybrid), and
// prints them with each component's score and rank.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "model/cross_encoder.h"
#include "model/embedder.h"
#include "search/semantic_index.h"
#include "server/search_request.h"
#include "store/rescore.h"
#include "store/search_modes.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

struct SearchFlags {
  std::string collection;
  std::string store;
  std::string pg;
  std::string model;
  std::string tokenizer;
  std::string query;
  std::string filter;
  std::string metric;
  std::string mode = "dense";
  std::vector<std::string> analyzers;
  std::string sparse;
  std::string fusion = "rrf";
  double rrf_k = 60;
  std::string weights;
  int depth = 0;
  std::string m3_weights;
  std::string reranker;
  int rerank_top = 0;
  int k = 5;
  bool exact = false;
  bool json = false;
  bool no_highlights = false;
};

// The chunk text with highlighted stretches in 【】, cut after about
// `max_code_points`, on one line.
std::string Snippet(const std::string& text, const std::vector<lexical::Highlight>& highlights,
                    size_t max_code_points) {
  std::string out;
  size_t pos = 0, cp = 0, next = 0;
  while (pos < text.size() && cp < max_code_points) {
    while (next < highlights.size() && highlights[next].end <= cp) ++next;
    if (next < highlights.size() && highlights[next].start == cp) out += "【";
    const size_t start = pos;
    utf8::Decode(text, &pos);
    std::string ch = text.substr(start, pos - start);
    out += ch == "\n" || ch == "\r" || ch == "\t" ? " " : ch;
    ++cp;
    if (next < highlights.size() && highlights[next].end == cp) out += "】";
  }
  if (next < highlights.size() && highlights[next].start < cp && highlights[next].end > cp) out += "】";
  if (pos < text.size()) out += "…";
  return out;
}

Result<std::map<std::string, double>> ParseWeights(const std::string& text) {
  std::map<std::string, double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t eq = item.find('=');
    char* end = nullptr;
    const double w = eq == std::string::npos ? 0 : std::strtod(item.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || end == item.c_str() + eq + 1 || *end != '\0') {
      return Status::InvalidArgument("--weights takes name=number pairs, e.g. dense=0.7,lexical=0.3; got \"" + item +
                                     "\"");
    }
    out[item.substr(0, eq)] = w;
  }
  return out;
}

// "d,s,c": compute_score's weights for dense, sparse and colbert.
Result<store::M3Weights> ParseM3Weights(const std::string& text) {
  store::M3Weights w;
  double* slots[3] = {&w.dense, &w.sparse, &w.colbert};
  std::stringstream in(text);
  std::string item;
  size_t n = 0;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (n >= 3 || item.empty() || *end != '\0') {
      return Status::InvalidArgument("--m3-weights takes three numbers dense,sparse,colbert, e.g. 0.4,0.2,0.4; got \"" +
                                     text + "\"");
    }
    *slots[n++] = v;
  }
  if (n != 3) return Status::InvalidArgument("--m3-weights takes three numbers dense,sparse,colbert, e.g. 0.4,0.2,0.4");
  IMI_RETURN_IF_ERROR(store::ValidateM3Weights(w));
  return w;
}

// Reranks the first --rerank-top hits with the cross-encoder in --reranker.
Status Rerank(const SearchFlags& flags, store::VectorStore* store, store::ModeSearchRequest request,
              store::ModeSearchResponse* response) {
  model::CrossEncoderConfig config;
  config.model_path = flags.reranker;
  IMI_ASSIGN_OR_RETURN(auto reranker, model::CrossEncoder::Load(config));
  request.k = std::max(request.k, flags.rerank_top);
  request.include.text = true;
  IMI_ASSIGN_OR_RETURN(*response, store::SearchByMode(store, flags.collection, request));
  const size_t top = std::min<size_t>(static_cast<size_t>(flags.rerank_top), response->hits.size());
  std::vector<std::string> texts;
  for (size_t i = 0; i < top; ++i) {
    const store::SearchHit& hit = response->hits[i].hit;
    texts.push_back(hit.chunk.text.empty() ? hit.text : hit.chunk.text);
    if (texts.back().empty()) texts.back() = " ";
  }
  std::vector<double> scores;
  if (top > 0) {
    IMI_ASSIGN_OR_RETURN(model::RerankResult result, reranker->Score(flags.query, texts));
    for (float logit : result.logits) scores.push_back(reranker->Activate(logit));
  }
  return store::ApplyRerank(response, scores, top, static_cast<size_t>(flags.k));
}

Status RunSearch(const SearchFlags& flags) {
  store::ModeSearchRequest request;
  IMI_ASSIGN_OR_RETURN(request.mode, store::ParseSearchMode(flags.mode));
  request.k = flags.k;
  request.exact = flags.exact;
  request.query = flags.query;
  request.analyzers = flags.analyzers;
  request.depth = flags.depth;
  request.highlights = !flags.no_highlights;
  if (!flags.metric.empty()) {
    IMI_ASSIGN_OR_RETURN(request.metric, store::ParseMetric(flags.metric));
  }
  if (!flags.filter.empty()) {
    nlohmann::json json = nlohmann::json::parse(flags.filter, nullptr, false);
    if (json.is_discarded()) return Status::InvalidArgument("--filter is not valid JSON");
    IMI_ASSIGN_OR_RETURN(request.filter, store::Filter::Parse(json));
  }
  if (!flags.sparse.empty()) {
    nlohmann::json json = nlohmann::json::parse(flags.sparse, nullptr, false);
    if (json.is_discarded()) return Status::InvalidArgument("--sparse is not valid JSON");
    IMI_ASSIGN_OR_RETURN(request.sparse, lexical::SparseFromJson(json, "--sparse"));
  }
  IMI_ASSIGN_OR_RETURN(request.fusion.method, lexical::ParseFusionMethod(flags.fusion));
  request.fusion.rrf_k = flags.rrf_k;
  if (!flags.weights.empty()) {
    IMI_ASSIGN_OR_RETURN(request.fusion.weights, ParseWeights(flags.weights));
  }
  const bool dense = request.mode == store::SearchMode::kDense;
  const bool hybrid = request.mode == store::SearchMode::kHybrid;
  const bool m3 = request.mode == store::SearchMode::kM3;
  if (!flags.m3_weights.empty()) {
    if (!m3) return Status::InvalidArgument("--m3-weights applies to --mode m3");
    IMI_ASSIGN_OR_RETURN(request.m3_weights, ParseM3Weights(flags.m3_weights));
  }
  if (m3 && (flags.model.empty() || flags.query.empty())) {
    return Status::InvalidArgument("m3 search embeds the query with bge-m3: give --model DIR (the collection's model) "
                                   "and the query text");
  }
  if (flags.rerank_top < 0 || flags.rerank_top > store::kMaxRerankTop) {
    return Status::InvalidArgument("--rerank-top must be between 1 and " + std::to_string(store::kMaxRerankTop));
  }
  if (flags.rerank_top > 0 && flags.reranker.empty()) {
    return Status::InvalidArgument("--rerank-top needs --reranker DIR (a cross-encoder such as bge-reranker-v2-m3)");
  }
  if (!flags.reranker.empty() && flags.query.empty()) {
    return Status::InvalidArgument("--reranker scores the results against the query text: give it");
  }
  if (dense && flags.model.empty()) {
    return Status::InvalidArgument("dense search embeds the query: give --model DIR (the collection's model), or "
                                   "use --mode lexical");
  }
  if ((dense || request.mode == store::SearchMode::kLexical) && flags.query.empty()) {
    return Status::InvalidArgument("give the query text");
  }
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  IMI_RETURN_IF_ERROR(store->GetCollection(flags.collection).status());
  if (!flags.model.empty() && (dense || hybrid || m3) && !flags.query.empty()) {
    model::EmbedderConfig config;
    config.model_path = flags.model;
    config.tokenizer_path = flags.tokenizer;
    IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
    IMI_RETURN_IF_ERROR(search::CheckCollectionModel(*embedder, store.get(), flags.collection));
    if (m3) {
      const model::OutputSet outputs = embedder->info().outputs;
      model::EmbedOptions options;
      if (embedder->info().prompts.count("query")) options.prompt_name = "query";
      IMI_ASSIGN_OR_RETURN(model::EmbedResult embedded, embedder->Embed({flags.query}, options, outputs));
      request.vector = std::move(embedded.vectors[0]);
      if (outputs & model::kSparseOutput) request.sparse = search::ToStoreSparse(embedded.sparse[0]);
      if (outputs & model::kColbertOutput) request.colbert = search::ToStoreMultiVector(std::move(embedded.colbert[0]));
    } else {
      IMI_ASSIGN_OR_RETURN(request.vector, search::EmbedQuery(*embedder, flags.query));
    }
  }
  store::ModeSearchResponse response;
  if (flags.reranker.empty()) {
    IMI_ASSIGN_OR_RETURN(response, store::SearchByMode(store.get(), flags.collection, request));
  } else {
    store::ModeSearchRequest with_rerank = request;
    if (flags.rerank_top == 0) with_rerank.k = request.k;  // default: rerank the k shown
    SearchFlags f = flags;
    if (f.rerank_top == 0) f.rerank_top = flags.k;
    IMI_RETURN_IF_ERROR(Rerank(f, store.get(), with_rerank, &response));
  }
  if (flags.json) {
    std::printf("%s\n", server::SearchResultsJson(flags.collection, request, response).dump(2).c_str());
    return Status::Ok();
  }
  std::string components;
  for (const std::string& c : response.components) components += (components.empty() ? "" : " + ") + c;
  std::string how = std::string(store::SearchModeName(response.mode)) + ": " + components;
  if (dense) how += std::string(", ") + std::string(store::MetricName(response.metric)) + (response.exact ? ", exact" : ", HNSW");
  if (hybrid) {
    how += request.fusion.method == lexical::FusionMethod::kRrf ? ", RRF k=" + std::to_string(static_cast<int>(request.fusion.rrf_k))
                                                                 : std::string(", weighted min-max");
  }
  std::printf("%zu results for \"%s\" in %s (%s)\n", response.hits.size(), flags.query.c_str(),
              flags.collection.c_str(), how.c_str());
  for (size_t i = 0; i < response.hits.size(); ++i) {
    const store::ModeSearchHit& found = response.hits[i];
    const store::SearchHit& hit = found.hit;
    std::string title = hit.metadata.value("title", std::string());
    std::printf("%2zu. %.4f  %s%s%s\n", i + 1, hit.score, hit.document_id.c_str(), title.empty() ? "" : "  ",
                title.c_str());
    if (response.components.size() > 1 || hybrid || m3) {
      std::string line;
      for (const std::string& name : response.components) {
        auto it = found.components.find(name);
        char buf[160];
        if (it == found.components.end()) {
          std::snprintf(buf, sizeof(buf), "%s -", name.c_str());
        } else {
          std::snprintf(buf, sizeof(buf), "%s #%d %.4f", name.c_str(), it->second.rank, it->second.score);
        }
        line += (line.empty() ? "" : " | ") + std::string(buf);
      }
      std::printf("    %s\n", line.c_str());
    }
    std::printf("    %s\n", Snippet(hit.chunk.text, found.highlights, 120).c_str());
  }
  return Status::Ok();
}

}  // namespace

void AddSearchCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SearchFlags>();
  auto* cmd = app.add_subcommand(
      "search",
      "Search a collection: by meaning (--mode dense, the default), by words (lexical: BM25 over\n"
      "the collection's analyzers), by a sparse vector, or all of them fused (hybrid). Prints the\n"
      "ranked documents with each component's rank and score and the matched words in 【】.");
  cmd->add_option("--collection", flags->collection, "Collection to search")->required();
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_option("--mode", flags->mode,
                  "dense (default), lexical, sparse, hybrid, or m3 (bge-m3: dense + sparse candidates rescored with\n"
                  "dense, sparse and ColBERT scores)")
      ->check(CLI::IsMember({"dense", "lexical", "sparse", "hybrid", "m3"}));
  cmd->add_option("--model", flags->model,
                  "Model directory: the collection's model (needed for dense; in hybrid it adds the dense component)");
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json (or its directory) for a bare .onnx model");
  cmd->add_option("--analyzer", flags->analyzers,
                  "Lexical analyzer to use (repeat for several in hybrid; default: lexical the collection's first,\n"
                  "hybrid all of them)");
  cmd->add_option("--sparse", flags->sparse, "Sparse query vector as JSON {\"indices\":[...],\"values\":[...]}");
  cmd->add_option("--fusion", flags->fusion, "Hybrid fusion: rrf (default) or weighted (min-max normalised scores)")
      ->check(CLI::IsMember({"rrf", "weighted"}));
  cmd->add_option("--rrf-k", flags->rrf_k, "RRF rank constant (default 60)");
  cmd->add_option("--weights", flags->weights,
                  "Component weights, e.g. dense=0.7,lexical=0.3 (lexical = every lexical:* component)");
  cmd->add_option("--depth", flags->depth,
                  "Hybrid: documents taken from each component; m3: candidates rescored (default max(k, 100))");
  cmd->add_option("--m3-weights", flags->m3_weights,
                  "m3: weights of the dense, sparse and ColBERT scores (default 0.4,0.2,0.4, as compute_score)");
  cmd->add_option("--reranker", flags->reranker,
                  "Rerank the results with this cross-encoder (a model directory, e.g. bge-reranker-v2-m3)");
  cmd->add_option("--rerank-top", flags->rerank_top, "With --reranker: candidates reranked (default k, at most 1000)");
  cmd->add_option("-k,--k", flags->k, "Number of documents (default 5)");
  cmd->add_option("--filter", flags->filter, "Metadata filter as JSON, e.g. '{\"lang\": \"ja\"}' (docs/store-format.md)");
  cmd->add_option("--metric", flags->metric, "Dense: cosine, l2, ip or l1 (default: the collection's)");
  cmd->add_flag("--exact", flags->exact, "Dense: exhaustive scan instead of the ANN index");
  cmd->add_flag("--no-highlights", flags->no_highlights, "Do not mark the matched words");
  cmd->add_flag("--json", flags->json, "Print the results as JSON (the HTTP API's search response)");
  cmd->add_option("query", flags->query, "Query text (not needed with --mode sparse)");
  cmd->footer(
      "Examples:\n"
      "  imi search --collection city --model DIR \"断水はいつですか\"\n"
      "  imi search --collection city --mode lexical \"粗大ごみ 申し込み\"\n"
      "  imi search --collection city --mode hybrid --model DIR \"図書館の休館日\" --weights dense=1,lexical=2\n"
      "  imi search --collection city --mode m3 --model BGE_M3_DIR \"ごみの出し方\" --reranker RERANKER_DIR --rerank-top 50");
  cmd->callback([flags, exit_code] {
    const Status s = RunSearch(*flags);
    *exit_code = s.ok() ? 0 : ReportError("search", s);
  });
}

}  // namespace imi::cli
