#ifndef IMI_SERVER_ROUTES_H_
#define IMI_SERVER_ROUTES_H_

// Route handlers and the request-reading helpers they share. Internal to
// src/server: Api::Dispatch is the only caller. Handlers return an error
// Status for the one error mapper; they never throw on bad input.

#include <cstddef>
#include <optional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "batch/embedding_backend.h"
#include "server/api.h"
#include "server/embed_service.h"
#include "server/error_response.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/store_access.h"

namespace imi::server {

// What a handler may use. `service` is null until the model is ready;
// `store` is null when the server has no vector store; `params` holds the
// values of the {name} segments of a templated route path, in order.
// `family` shapes the handler's errors; a handler serving two families on
// one route (POST /embed: imi's "texts", TEI's "inputs") sets it.
struct RouteContext {
  const ApiConfig& config;
  EmbedService* service;
  Metrics& metrics;
  ServeState state;
  std::string failure;
  StoreAccess* store = nullptr;
  std::vector<std::string> params = {};
  ApiFamily family = ApiFamily::kImi;
  // Whether the request may use protected routes (no key configured, or
  // the right one sent); open routes use it to decide what to show.
  bool authorized = true;
};

using RouteHandler = Result<HttpResponse> (*)(RouteContext& ctx, const HttpRequest& request);

// --- request reading (routes_common.cc) ---
// The service, or Unavailable saying why there is none yet.
Result<EmbedService*> RequireService(const RouteContext& ctx);
// The body as a JSON object; InvalidArgument otherwise. The tree built is
// charged to the request's memory lease (413/503 when it does not fit). With
// `fields`, only those top-level fields are built: others are checked as
// JSON and skipped (their names in *skipped when given), so a route lists
// every field it reads.
Result<nlohmann::json> ParseObjectBody(const HttpRequest& request, std::initializer_list<std::string_view> fields = {},
                                       std::vector<std::string>* skipped = nullptr);
// A string or an array of strings at `field`; InvalidArgument naming the
// field (missing, wrong type, non-string item), TooLarge over max_items.
Result<std::vector<std::string>> ReadTexts(const nlohmann::json& body, const std::string& field, size_t max_items);
// Optional typed fields; null counts as absent. InvalidArgument on a wrong type.
Result<std::optional<bool>> ReadBool(const nlohmann::json& body, const std::string& field);
Result<std::optional<size_t>> ReadPositiveInt(const nlohmann::json& body, const std::string& field);
Result<std::optional<std::string>> ReadString(const nlohmann::json& body, const std::string& field);
// TEI's truncation and prompt options: "truncate" (default on),
// "truncation_direction" ("Right"/"Left", any case) and "prompt_name".
// InvalidArgument naming the field on a wrong type or value.
Result<batch::EmbedOptions> ReadTeiTruncationOptions(const nlohmann::json& body);
// Unprocessable naming the first field of `body` not in `known` (with a
// hint for names other vector stores use, e.g. top_k -> k). `where` prefixes
// the field ("documents[2].").
Status RejectUnknownFields(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                           const std::string& where = "");
// Headers every embedding response carries (tokens, truncated inputs).
void AddEmbeddingHeaders(const EmbedOutcome& outcome, HttpResponse* response);
// A 200 response with a JSON body.
HttpResponse JsonResponse(std::string body);

// --- routes_embed.cc: the original API and TEI's ---
Result<HttpResponse> HandleEmbedGet(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleEmbedPost(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleTokenize(RouteContext& ctx, const HttpRequest& request);

// TEI's POST / and SageMaker's POST /invocations: TEI's embed ({"inputs"}).
Result<HttpResponse> HandleTeiEmbed(RouteContext& ctx, const HttpRequest& request);
// --- routes_m3.cc: bge-m3's sparse and ColBERT outputs ---
Result<HttpResponse> HandleEmbedSparse(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleEmbedAll(RouteContext& ctx, const HttpRequest& request);
// The original API's "output": "dense" | "sparse" | "colbert" | "all" or an
// array of them, as batch::OutputBits; dense when absent. InvalidArgument
// names a bad value.
Result<unsigned> ReadOutputs(const nlohmann::json& body);
// POST /embed {"texts", "output"} for outputs other than dense alone.
Result<HttpResponse> EmbedOriginalWithOutputs(RouteContext& ctx, const std::vector<std::string>& texts,
                                              unsigned outputs);

// --- routes_rerank.cc: TEI's /rerank and the Cohere/Jina /v1/rerank ---
Result<HttpResponse> HandleTeiRerank(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleV1Rerank(RouteContext& ctx, const HttpRequest& request);

// --- routes_compat.cc: OpenAI and Ollama ---
Result<HttpResponse> HandleOpenAiEmbeddings(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaEmbed(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaEmbeddings(RouteContext& ctx, const HttpRequest& request);

// --- routes_models.cc: the served model as OpenAI and Ollama list models ---
Result<HttpResponse> HandleOpenAiModels(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOpenAiModel(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaTags(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaShow(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaVersion(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOllamaPs(RouteContext& ctx, const HttpRequest& request);

// --- routes_info.cc: information, health, metrics, documentation ---
// JSON, or a small HTML page when the client prefers text/html (browsers).
Result<HttpResponse> HandleRoot(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleHealth(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleInfo(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleMetrics(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleOpenApi(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleDocs(RouteContext& ctx, const HttpRequest& request);
// Serves /docs/<asset> from the swagger-ui-dist directory (fixed allow-list).
Result<HttpResponse> HandleDocsAsset(RouteContext& ctx, const HttpRequest& request);

// --- routes_collections.cc: collections, documents and semantic search ---
Result<HttpResponse> HandleListCollections(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleCreateCollection(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleGetCollection(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleDeleteCollection(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleUpsertDocuments(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleGetDocument(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleDeleteDocument(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleSearchCollection(RouteContext& ctx, const HttpRequest& request);
// The store, or Unavailable saying how to start the server with one.
Result<store::VectorStore*> RequireStore(const RouteContext& ctx);
// The {name} of a /collections/{name}/... route, checked before any store access.
Result<std::string> CollectionName(const RouteContext& ctx);
// A model revision as the API reports it everywhere (/, /info's model_sha,
// collections): the pulled commit, or null when it is not known ("" or the
// store's "unknown").
nlohmann::json RevisionJson(const std::string& revision);
// --- routes_documents.cc: listing, counting, deleting by filter, metadata ---
Result<HttpResponse> HandleListDocuments(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleCountDocuments(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleDeleteByFilter(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandlePatchDocument(RouteContext& ctx, const HttpRequest& request);

// --- routes_search.cc: the search page, its JSON for the widget, assets ---
Result<HttpResponse> HandleSearchPage(RouteContext& ctx, const HttpRequest& request);
Result<HttpResponse> HandleSearchResults(RouteContext& ctx, const HttpRequest& request);
// /search/search.css and /search/widget.js.
Result<HttpResponse> HandleSearchAsset(RouteContext& ctx, const HttpRequest& request);

// One method of a route: its handler, the client family whose error shape
// it answers in, and whether it is reachable without the API key.
struct RouteMethod {
  const char* method;  // "GET" (also answers HEAD), "POST", "PATCH" or "DELETE"
  RouteHandler handler;
  ApiFamily family;
  bool open;
};

// One row of the route table; Api::Dispatch, GET / and the OpenAPI test
// share it. A path segment "{x}" matches one non-empty segment; a final
// "{id}" matches the rest of the path (document and model ids may contain
// '/').
struct RouteSpec {
  const char* path;
  const char* description;
  std::vector<RouteMethod> methods;

  // "GET,POST": the methods in table order.
  std::string MethodList() const;
  // The entry for `method` (HEAD finds GET), or null.
  const RouteMethod* Find(const std::string& method) const;
};
const std::vector<RouteSpec>& RouteTable();

// The OpenAPI document embedded at build time (openapi.json).
const std::string& OpenApiDocument();

}  // namespace imi::server

#endif  // IMI_SERVER_ROUTES_H_
