// imi search: embeds a query with the collection's model and prints the
// ranked documents.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "model/embedder.h"
#include "search/semantic_index.h"
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
  int k = 5;
  bool exact = false;
  bool json = false;
};

std::string Snippet(const std::string& text, size_t max_bytes) {
  std::string s = text.substr(0, max_bytes);
  // Do not cut a UTF-8 sequence in half.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s.size() < text.size() ? s + "…" : s;
}

Status RunSearch(const SearchFlags& flags) {
  store::SearchRequest request;
  request.k = flags.k;
  request.exact = flags.exact;
  if (!flags.metric.empty()) {
    IMI_ASSIGN_OR_RETURN(request.metric, store::ParseMetric(flags.metric));
  }
  if (!flags.filter.empty()) {
    nlohmann::json json = nlohmann::json::parse(flags.filter, nullptr, false);
    if (json.is_discarded()) return Status::InvalidArgument("--filter is not valid JSON");
    IMI_ASSIGN_OR_RETURN(request.filter, store::Filter::Parse(json));
  }
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  IMI_RETURN_IF_ERROR(store->GetCollection(flags.collection).status());
  model::EmbedderConfig config;
  config.model_path = flags.model;
  config.tokenizer_path = flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
  IMI_RETURN_IF_ERROR(search::CheckCollectionModel(*embedder, store.get(), flags.collection));
  search::SemanticIndex index(*embedder, nullptr, store.get(), flags.collection);
  IMI_ASSIGN_OR_RETURN(store::SearchResponse response, index.Search(flags.query, request));
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < response.hits.size(); ++i) {
      const store::SearchHit& hit = response.hits[i];
      out.push_back({{"rank", i + 1},
                     {"id", hit.document_id},
                     {"score", hit.score},
                     {"metadata", hit.metadata},
                     {"chunk", {{"ordinal", hit.chunk.ordinal}, {"text", hit.chunk.text},
                                {"start", hit.chunk.start_offset}, {"end", hit.chunk.end_offset}}}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return Status::Ok();
  }
  std::printf("%zu results for \"%s\" in %s (%s%s)\n", response.hits.size(), flags.query.c_str(),
              flags.collection.c_str(), std::string(store::MetricName(response.metric)).c_str(),
              response.exact ? ", exact" : ", HNSW");
  for (size_t i = 0; i < response.hits.size(); ++i) {
    const store::SearchHit& hit = response.hits[i];
    std::string title = hit.metadata.value("title", std::string());
    std::printf("%2zu. %.4f  %s%s%s\n", i + 1, hit.score, hit.document_id.c_str(), title.empty() ? "" : "  ",
                title.c_str());
    std::printf("    %s\n", Snippet(hit.chunk.text, 240).c_str());
  }
  return Status::Ok();
}

}  // namespace

void AddSearchCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SearchFlags>();
  auto* cmd = app.add_subcommand("search", "Search a collection with a text query; prints ranked documents.");
  cmd->add_option("--collection", flags->collection, "Collection to search")->required();
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_option("--model", flags->model, "Model directory: the collection's model")->required();
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json (or its directory) for a bare .onnx model");
  cmd->add_option("-k,--k", flags->k, "Number of documents (default 5)");
  cmd->add_option("--filter", flags->filter, "Metadata filter as JSON, e.g. '{\"lang\": \"ja\"}' (docs/store-format.md)");
  cmd->add_option("--metric", flags->metric, "cosine, l2, ip or l1 (default: the collection's)");
  cmd->add_flag("--exact", flags->exact, "Exhaustive scan instead of the ANN index");
  cmd->add_flag("--json", flags->json, "Print results as JSON");
  cmd->add_option("query", flags->query, "Query text")->required();
  cmd->callback([flags, exit_code] {
    const Status s = RunSearch(*flags);
    *exit_code = s.ok() ? 0 : ReportError("search", s);
  });
}

}  // namespace imi::cli
