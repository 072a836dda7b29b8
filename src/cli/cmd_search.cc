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
#include "model/embedder.h"
#include "search/semantic_index.h"
#include "server/search_request.h"
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
  if (dense && flags.model.empty()) {
    return Status::InvalidArgument("dense search embeds the query: give --model DIR (the collection's model), or "
                                   "use --mode lexical");
  }
  if ((dense || request.mode == store::SearchMode::kLexical) && flags.query.empty()) {
    return Status::InvalidArgument("give the query text");
  }
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  IMI_RETURN_IF_ERROR(store->GetCollection(flags.collection).status());
  if (!flags.model.empty() && (dense || hybrid) && !flags.query.empty()) {
    model::EmbedderConfig config;
    config.model_path = flags.model;
    config.tokenizer_path = flags.tokenizer;
    IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
    IMI_RETURN_IF_ERROR(search::CheckCollectionModel(*embedder, store.get(), flags.collection));
    IMI_ASSIGN_OR_RETURN(request.vector, search::EmbedQuery(*embedder, flags.query));
  }
  IMI_ASSIGN_OR_RETURN(store::ModeSearchResponse response, store::SearchByMode(store.get(), flags.collection, request));
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
    if (response.components.size() > 1 || hybrid) {
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
  cmd->add_option("--mode", flags->mode, "dense (default), lexical, sparse or hybrid")
      ->check(CLI::IsMember({"dense", "lexical", "sparse", "hybrid"}));
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
  cmd->add_option("--depth", flags->depth, "Hybrid: documents taken from each component (default max(k, 100))");
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
      "  imi search --collection city --mode hybrid --model DIR \"図書館の休館日\" --weights dense=1,lexical=2");
  cmd->callback([flags, exit_code] {
    const Status s = RunSearch(*flags);
    *exit_code = s.ok() ? 0 : ReportError("search", s);
  });
}

}  // namespace imi::cli
