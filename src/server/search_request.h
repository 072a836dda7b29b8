#ifndef IMI_SERVER_SEARCH_REQUEST_H_
#define IMI_SERVER_SEARCH_REQUEST_H_

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/search_modes.h"
#include "store/vector_store.h"

namespace imi::server {

// POST /collections/{name}/search in the five modes (docs/api.md): the
// request body's parser and the response's writer. Pure functions.

// A parsed body. `query` is the text: analysed by the lexical components
// and, when no 'vector' was given, embedded by the caller for the dense one.
struct SearchBody {
  store::ModeSearchRequest request;
  std::optional<std::string> query;
  bool has_vector = false;
  int rerank_top = 0;  // "rerank": {"top": N}: rerank the first N with the served reranker (0 = no)
};

// Parses and checks a body: field types and ranges, and which inputs each
// mode takes (dense: exactly one of 'query' and 'vector'; lexical: 'query';
// sparse: 'sparse_vector'; hybrid: any of them, at least one; m3: 'query'
// or 'vector' with an optional 'sparse_vector', and "m3": {"weights",
// "candidates"}; any mode: "rerank": {"top"}). Unknown
// fields (top-level or in 'fusion') are Unprocessable, as are well-formed
// values out of range; other errors InvalidArgument naming the field;
// TooLarge for oversized sparse vectors.
Result<SearchBody> ParseSearchBody(const nlohmann::json& body);

// The response: {"collection","mode","metric","exact","components",
// "fusion"?,"count","results":[{"rank","id","score"?,"text"?,"metadata"?,
// "chunk","components","highlights"?}]}.
nlohmann::json SearchResultsJson(const std::string& collection, const store::ModeSearchRequest& request,
                                 const store::ModeSearchResponse& response);

// A chunk as the collection routes show it: {"ordinal","start","end"} plus
// "text", "vector" and "sparse" when asked for (sparse only when it has one).
nlohmann::json ChunkJson(const store::Chunk& chunk, bool with_text, bool with_vector);

}  // namespace imi::server

#endif  // IMI_SERVER_SEARCH_REQUEST_H_
