#include "server/api.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string_view>
#include <vector>

#include "server/error_response.h"
#include "server/json_io.h"
#include "server/routes.h"

namespace imi::server {

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kDocsPrefix[] = "/docs/";

// Compares without an early exit, so timing does not reveal how much of the
// key matched.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool Authorized(const HttpRequest& request, const std::string& api_key) {
  const std::string header = request.Header("authorization");
  constexpr size_t kSchemeLength = 7;  // "Bearer "
  if (header.size() < kSchemeLength) return false;
  std::string scheme = header.substr(0, kSchemeLength);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return false;
  return ConstantTimeEquals(header.substr(kSchemeLength), api_key);
}

// Matches `path` against a template such as "/collections/{name}"; fills
// `params` with the values of its {name} segments.
bool MatchTemplate(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  params->clear();
  size_t p = 0;
  size_t q = 0;
  while (p < pattern.size()) {
    if (pattern[p] != '{') {
      if (q >= path.size() || pattern[p] != path[q]) return false;
      ++p;
      ++q;
      continue;
    }
    const size_t close = pattern.find('}', p);
    if (close == std::string_view::npos) return false;
    const bool rest = close + 1 == pattern.size() && pattern.substr(p) == "{id}";
    p = close + 1;
    size_t end = rest ? path.size() : path.find('/', q);
    if (end == std::string_view::npos) end = path.size();
    if (end == q) return false;
    params->emplace_back(path.substr(q, end - q));
    q = end;
  }
  return q == path.size();
}

const RouteSpec* FindRoute(const std::string& path, std::vector<std::string>* params) {
  for (const RouteSpec& spec : RouteTable()) {
    if (path == spec.path) return &spec;
  }
  for (const RouteSpec& spec : RouteTable()) {
    if (std::string_view(spec.path).find('{') != std::string_view::npos && MatchTemplate(spec.path, path, params)) {
      return &spec;
    }
  }
  params->clear();
  return nullptr;
}

const RouteSpec& DocsAssetRoute() {
  static const RouteSpec spec{"/docs/{asset}", "Swagger UI files", {{"GET", HandleDocsAsset, ApiFamily::kImi, true}}};
  return spec;
}

// application/json or a structured syntax suffix (+json), any parameters.
bool IsJsonContentType(std::string value) {
  value = value.substr(0, value.find(';'));
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  if (value == "application/json") return true;
  const size_t slash = value.find('/');
  return slash != std::string::npos && value.size() > 5 && value.compare(value.size() - 5, 5, "+json") == 0;
}

// A header list of a preflight (Access-Control-Request-Headers): tokens
// separated by commas. Anything else is refused (answered with the default).
bool IsHeaderList(const std::string& value) {
  if (value.empty() || value.size() > 1024) return false;
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '-' || c == '_' || c == ',' || c == ' ')) return false;
  }
  return true;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string RouteSpec::MethodList() const {
  std::string out;
  for (const RouteMethod& m : methods) {
    if (!out.empty()) out += ',';
    out += m.method;
  }
  return out;
}

const RouteMethod* RouteSpec::Find(const std::string& method) const {
  const std::string wanted = method == "HEAD" ? "GET" : method;
  for (const RouteMethod& m : methods) {
    if (wanted == m.method) return &m;
  }
  return nullptr;
}

const std::vector<RouteSpec>& RouteTable() {
  using F = ApiFamily;
  static const std::vector<RouteSpec> table = {
      {"/", "API information (an HTML page for browsers, JSON otherwise); TEI: POST {inputs} embeds",
       {{"GET", HandleRoot, F::kImi, true}, {"POST", HandleTeiEmbed, F::kTei, false}}},
      {"/healthz", "Readiness: {\"ok\":true} once the model is loaded and warmed",
       {{"GET", HandleHealth, F::kImi, true}}},
      {"/health", "TEI: readiness, as /healthz", {{"GET", HandleHealth, F::kTei, true}}},
      {"/ping", "SageMaker: readiness, as /healthz", {{"GET", HandleHealth, F::kTei, true}}},
      {"/embed",
       "Original API: GET ?q=TEXT -> {vector}; POST {texts} -> {vectors}; TEI: POST {inputs} -> [[...]]",
       {{"GET", HandleEmbedGet, F::kImi, false}, {"POST", HandleEmbedPost, F::kImi, false}}},
      {"/invocations", "SageMaker: TEI's embed", {{"POST", HandleTeiEmbed, F::kTei, false}}},
      {"/tokenize", "TEI: tokens of each input", {{"POST", HandleTokenize, F::kTei, false}}},
      {"/embed_sparse", "TEI: bge-m3 sparse (lexical) weights [[{index, value}]]",
       {{"POST", HandleEmbedSparse, F::kTei, false}}},
      {"/embed_all", "TEI: bge-m3 ColBERT token vectors [[[...]]]", {{"POST", HandleEmbedAll, F::kTei, false}}},
      {"/rerank", "TEI: rerank {query, texts} with the served reranker", {{"POST", HandleTeiRerank, F::kTei, false}}},
      {"/v1/rerank", "Cohere/Jina: rerank {query, documents, top_n} with the served reranker",
       {{"POST", HandleV1Rerank, F::kImi, false}}},
      {"/info", "TEI: model information", {{"GET", HandleInfo, F::kTei, false}}},
      {"/v1/embeddings", "OpenAI embeddings", {{"POST", HandleOpenAiEmbeddings, F::kOpenAi, false}}},
      {"/embeddings", "OpenAI embeddings (TEI's path for them)",
       {{"POST", HandleOpenAiEmbeddings, F::kOpenAi, false}}},
      {"/v1/models", "OpenAI: the served model", {{"GET", HandleOpenAiModels, F::kOpenAi, false}}},
      {"/v1/models/{id}", "OpenAI: one model", {{"GET", HandleOpenAiModel, F::kOpenAi, false}}},
      {"/api/embed", "Ollama embed", {{"POST", HandleOllamaEmbed, F::kOllama, false}}},
      {"/api/embeddings", "Ollama embeddings (legacy)", {{"POST", HandleOllamaEmbeddings, F::kOllama, false}}},
      {"/api/tags", "Ollama: the served model", {{"GET", HandleOllamaTags, F::kOllama, false}}},
      {"/api/show", "Ollama: details of the served model", {{"POST", HandleOllamaShow, F::kOllama, false}}},
      {"/api/ps", "Ollama: the loaded model", {{"GET", HandleOllamaPs, F::kOllama, false}}},
      {"/api/version", "Ollama: server version", {{"GET", HandleOllamaVersion, F::kOllama, true}}},
      {"/metrics", "Prometheus metrics", {{"GET", HandleMetrics, F::kImi, true}}},
      {"/openapi.json", "OpenAPI 3 description of these routes", {{"GET", HandleOpenApi, F::kImi, true}}},
      {"/docs", "Browsable API documentation", {{"GET", HandleDocs, F::kImi, true}}},
      {"/collections", "Vector store: list collections; POST {name, metric?} creates one",
       {{"GET", HandleListCollections, F::kImi, false}, {"POST", HandleCreateCollection, F::kImi, false}}},
      {"/collections/{name}", "A collection's model, dimension, metric and sizes; DELETE removes it",
       {{"GET", HandleGetCollection, F::kImi, false}, {"DELETE", HandleDeleteCollection, F::kImi, false}}},
      {"/collections/{name}/documents",
       "GET lists documents (?limit, ?after, ?filter); POST upserts {id?, text, metadata} (chunked and embedded) "
       "or {id?, vector, metadata}",
       {{"GET", HandleListDocuments, F::kImi, false}, {"POST", HandleUpsertDocuments, F::kImi, false}}},
      {"/collections/{name}/documents/{id}",
       "One document with its chunks; PATCH {metadata} merges metadata without re-embedding; DELETE removes it",
       {{"GET", HandleGetDocument, F::kImi, false},
        {"PATCH", HandlePatchDocument, F::kImi, false},
        {"DELETE", HandleDeleteDocument, F::kImi, false}}},
      {"/collections/{name}/search",
       "Semantic search {query | vector, k, metric?, filter?, include?, exact?} -> ranked documents",
       {{"POST", HandleSearchCollection, F::kImi, false}}},
      {"/collections/{name}/count", "How many documents match {filter?}",
       {{"POST", HandleCountDocuments, F::kImi, false}}},
      {"/collections/{name}/delete", "Deletes the documents matching {filter}",
       {{"POST", HandleDeleteByFilter, F::kImi, false}}},
      {"/search", "Search page for people: ?c=COLLECTION&q=QUERY&section=&page=&lang=en",
       {{"GET", HandleSearchPage, F::kImi, true}}},
      {"/search/results", "The search page's results as JSON (the embeddable widget uses it)",
       {{"GET", HandleSearchResults, F::kImi, true}}},
      {"/search/widget.js", "Embeddable search widget: <div data-imi-search=\"COLLECTION\"></div> + this script",
       {{"GET", HandleSearchAsset, F::kImi, true}}},
      {"/search/search.css", "Style sheet of the search page", {{"GET", HandleSearchAsset, F::kImi, true}}},
  };
  return table;
}

ApiFamily ErrorFamilyFor(const std::string& method, const std::string& path) {
  std::vector<std::string> params;
  const RouteSpec* spec = FindRoute(path, &params);
  if (spec == nullptr) return FamilyForUnmatchedPath(path);
  const RouteMethod* m = spec->Find(method);
  return m != nullptr ? m->family : spec->methods.front().family;
}

Api::Api(ApiConfig config) : config_(std::move(config)), memory_budget_(config_.memory_budget_bytes) {
  metrics_.SetMemoryBudget(&memory_budget_);
}

Api::~Api() { Stop(); }

void Api::SetBackend(std::unique_ptr<batch::EmbeddingBackend> backend) {
  backend_ = std::move(backend);
  service_ = std::make_unique<EmbedService>(*backend_, config_.batcher, &metrics_);
  ready_service_.store(service_.get(), std::memory_order_release);
  ServeState expected = ServeState::kLoading;
  state_.compare_exchange_strong(expected, ServeState::kReady);
}

void Api::SetStore(std::unique_ptr<StoreAccess> store) { store_ = std::move(store); }

void Api::SetFailed(std::string message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::move(message);
  }
  state_ = ServeState::kFailed;
}

void Api::BeginStopping() { state_ = ServeState::kStopping; }

void Api::Stop() {
  state_ = ServeState::kStopping;
  if (service_ != nullptr) service_->Stop();
}

HttpResponse Api::Handle(const HttpRequest& request) {
  const Clock::time_point start = Clock::now();
  const ScopedRequestMemory memory(request.memory);
  metrics_.AddInFlight(1);
  std::string label = "unmatched";
  HttpResponse res;
  try {
    res = Dispatch(request, &label);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imi serve: internal error on %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                 e.what());
    res = ErrorResponse(Status::Internal("internal error; see the server log"));
  } catch (...) {
    std::fprintf(stderr, "imi serve: internal error on %s %s\n", request.method.c_str(), request.path.c_str());
    res = ErrorResponse(Status::Internal("internal error; see the server log"));
  }
  AddCorsHeaders(request, &res);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_.OnRequest(label, res.status, seconds);
  metrics_.AddInFlight(-1);
  Log(request.method, request.path, request.remote_addr, res.status, res.body.size(), seconds);
  return res;
}

std::string Api::AllowedOrigin(const HttpRequest& request) const {
  if (config_.cors_origin.empty()) return "";
  if (config_.cors_origin == "*") return "*";
  const std::string origin = request.Header("origin");
  // Without an Origin header the request is not a CORS one; a single
  // configured origin is still named, as before, for caches and tools.
  if (origin.empty()) return config_.cors_origin.find(',') == std::string::npos ? config_.cors_origin : "";
  size_t start = 0;
  while (start <= config_.cors_origin.size()) {
    size_t end = config_.cors_origin.find(',', start);
    if (end == std::string::npos) end = config_.cors_origin.size();
    std::string allowed = config_.cors_origin.substr(start, end - start);
    while (!allowed.empty() && allowed.front() == ' ') allowed.erase(0, 1);
    while (!allowed.empty() && allowed.back() == ' ') allowed.pop_back();
    if (allowed == origin) return origin;
    start = end + 1;
  }
  return "";
}

HttpResponse Api::Dispatch(const HttpRequest& request, std::string* route_label) {
  std::vector<std::string> params;
  const RouteSpec* spec = FindRoute(request.path, &params);
  if (spec == nullptr && request.path.rfind(kDocsPrefix, 0) == 0) spec = &DocsAssetRoute();
  if (spec == nullptr) {
    return HttpError(404, "not_found", "no route " + request.path + "; GET / lists the routes",
                     FamilyForUnmatchedPath(request.path));
  }
  *route_label = spec->path;
  const std::string allow = spec->MethodList() + ",OPTIONS";
  if (request.method == "OPTIONS") {
    HttpResponse res;
    res.status = 204;
    res.content_type.clear();
    res.AddHeader("Allow", allow);
    if (!AllowedOrigin(request).empty()) {
      // Whatever headers the page asks for (the OpenAI SDK sends
      // x-stainless-*): the API key, not the header list, guards the API.
      const std::string asked = request.Header("access-control-request-headers");
      res.AddHeader("Access-Control-Allow-Methods", allow);
      res.AddHeader("Access-Control-Allow-Headers", IsHeaderList(asked) ? asked : "Authorization, Content-Type");
      res.AddHeader("Access-Control-Max-Age", "600");
      res.AddHeader("Vary", "Access-Control-Request-Headers");
    }
    return res;
  }
  const RouteMethod* method = spec->Find(request.method);
  if (method == nullptr) {
    HttpResponse res = HttpError(405, "method_not_allowed",
                                 request.method + " is not allowed on " + request.path + "; allowed: " + allow,
                                 spec->methods.front().family);
    res.AddHeader("Allow", allow);
    return res;
  }
  const bool authorized = config_.api_key.empty() || Authorized(request, config_.api_key);
  if (!method->open && !authorized) {
    HttpResponse res = HttpError(401, "invalid_api_key",
                                 "missing or wrong API key: send the header 'Authorization: Bearer <key>'",
                                 method->family);
    res.AddHeader("WWW-Authenticate", "Bearer");
    return res;
  }
  const std::string content_type = request.Header("content-type");
  if ((request.method == "POST" || request.method == "PATCH") && !content_type.empty() &&
      !IsJsonContentType(content_type)) {
    return HttpError(415, "unsupported_media_type",
                     "the body must be JSON: send 'Content-Type: application/json' (got '" +
                         content_type.substr(0, 100) + "')",
                     method->family);
  }
  std::string failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure = failure_;
  }
  RouteContext ctx{config_, ready_service_.load(std::memory_order_acquire), metrics_, state_.load(),
                   std::move(failure)};
  ctx.store = store_.get();
  ctx.params = std::move(params);
  ctx.family = method->family;
  ctx.authorized = authorized;
  Result<HttpResponse> result = method->handler(ctx, request);
  if (!result.ok()) return ErrorResponse(result.status(), ctx.family, config_.retry_after_seconds);
  return std::move(result).value();
}

void Api::AddCorsHeaders(const HttpRequest& request, HttpResponse* res) const {
  const std::string origin = AllowedOrigin(request);
  if (!origin.empty()) {
    res->AddHeader("Access-Control-Allow-Origin", origin);
    res->AddHeader("Access-Control-Expose-Headers", "X-Imi-Prompt-Tokens, X-Imi-Truncated-Inputs, Retry-After");
  }
  if (!config_.cors_origin.empty() && config_.cors_origin != "*") res->AddHeader("Vary", "Origin");
}

Lane Api::LaneOf(const HttpRequest& request) const {
  if (request.path == "/healthz" || request.path == "/metrics") return Lane::kInline;
  if (request.path == "/collections" || request.path.rfind("/collections/", 0) == 0) return Lane::kStore;
  return Lane::kGeneral;
}

HttpResponse Api::TransportError(const HttpRequest& request, int status, const std::string& code,
                                 const std::string& message) {
  // In the shape of the route's client family (an OpenAI SDK reads a 413
  // from /v1/embeddings as its own error).
  HttpResponse res = HttpError(status, code, message, ErrorFamilyFor(request.method, request.path));
  if (status == 429 || status == 503) res.AddHeader("Retry-After", std::to_string(config_.retry_after_seconds));
  res.close_connection = true;
  AddCorsHeaders(request, &res);
  std::string label = "transport";
  if (!request.path.empty()) {
    std::vector<std::string> params;
    const RouteSpec* spec = FindRoute(request.path, &params);
    if (spec == nullptr && request.path.rfind(kDocsPrefix, 0) == 0) spec = &DocsAssetRoute();
    label = spec != nullptr ? spec->path : "unmatched";
  }
  metrics_.OnRequest(label, status, 0);
  Log(request.method, request.path, request.remote_addr, status, res.body.size(), 0);
  return res;
}

void Api::RecordRefusedConnection() { metrics_.OnRejectedConnection(); }

void Api::Log(const std::string& method, const std::string& path, const std::string& remote, int status,
              size_t bytes, double seconds) {
  if (config_.access_log == AccessLog::kOff) return;
  std::string line;
  const std::string shown_path = path.size() > 256 ? path.substr(0, 256) + "..." : path;
  if (config_.access_log == AccessLog::kJson) {
    const nlohmann::json entry = {{"ts", UtcNow()},   {"remote", remote}, {"method", method},
                                  {"path", shown_path}, {"status", status}, {"bytes", bytes},
                                  {"duration_ms", seconds * 1000.0}};
    line = DumpJson(entry);
  } else {
    char ms[32];
    std::snprintf(ms, sizeof(ms), "%.2f", seconds * 1000.0);
    line = UtcNow() + " " + remote + " \"" + method + " " + JsonString(shown_path).substr(1);
    line.pop_back();
    line += "\" " + std::to_string(status) + " " + std::to_string(bytes) + " " + ms + "ms";
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace imi::server
