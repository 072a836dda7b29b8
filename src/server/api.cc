#include "server/api.h"

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
  static const RouteSpec spec{"/docs/{asset}", "GET", "Swagger UI files", HandleDocsAsset, nullptr, true};
  return spec;
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

const std::vector<RouteSpec>& RouteTable() {
  static const std::vector<RouteSpec> table = {
      {"/", "GET", "API information: version, model, limits, routes", HandleRoot, nullptr, false},
      {"/healthz", "GET", "Readiness: {\"ok\":true} once the model is loaded and warmed", HandleHealth, nullptr,
       true},
      {"/embed", "GET,POST",
       "Original API: GET ?q=TEXT -> {vector}; POST {texts} -> {vectors}; TEI: POST {inputs} -> [[...]]",
       HandleEmbedGet, HandleEmbedPost, false},
      {"/tokenize", "POST", "TEI: tokens of each input", nullptr, HandleTokenize, false},
      {"/info", "GET", "TEI: model information", HandleInfo, nullptr, false},
      {"/v1/embeddings", "POST", "OpenAI embeddings", nullptr, HandleOpenAiEmbeddings, false},
      {"/api/embed", "POST", "Ollama embed", nullptr, HandleOllamaEmbed, false},
      {"/api/embeddings", "POST", "Ollama embeddings (legacy)", nullptr, HandleOllamaEmbeddings, false},
      {"/metrics", "GET", "Prometheus metrics", HandleMetrics, nullptr, true},
      {"/openapi.json", "GET", "OpenAPI 3 description of these routes", HandleOpenApi, nullptr, true},
      {"/docs", "GET", "Browsable API documentation", HandleDocs, nullptr, true},
      {"/collections", "GET,POST", "Vector store: list collections; POST {name, metric?} creates one",
       HandleListCollections, HandleCreateCollection, false},
      {"/collections/{name}", "GET,DELETE", "A collection's model, dimension, metric and sizes; DELETE removes it",
       HandleGetCollection, nullptr, false, HandleDeleteCollection},
      {"/collections/{name}/documents", "POST",
       "Batch upsert of {id?, text, metadata} (chunked and embedded) or {id?, vector, metadata}", nullptr,
       HandleUpsertDocuments, false},
      {"/collections/{name}/documents/{id}", "GET,DELETE", "One document with its chunks; DELETE removes it",
       HandleGetDocument, nullptr, false, HandleDeleteDocument},
      {"/collections/{name}/search", "POST",
       "Semantic search {query | vector, k, metric?, filter?, include?, exact?} -> ranked documents", nullptr,
       HandleSearchCollection, false},
  };
  return table;
}

Api::Api(ApiConfig config) : config_(std::move(config)) {}

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
  if (!config_.cors_origin.empty()) {
    res.AddHeader("Access-Control-Allow-Origin", config_.cors_origin);
    if (config_.cors_origin != "*") res.AddHeader("Vary", "Origin");
    res.AddHeader("Access-Control-Expose-Headers", "X-Imi-Prompt-Tokens, X-Imi-Truncated-Inputs, Retry-After");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_.OnRequest(label, res.status, seconds);
  metrics_.AddInFlight(-1);
  Log(request.method, request.path, request.remote_addr, res.status, res.body.size(), seconds);
  return res;
}

HttpResponse Api::Dispatch(const HttpRequest& request, std::string* route_label) {
  std::vector<std::string> params;
  const RouteSpec* spec = FindRoute(request.path, &params);
  if (spec == nullptr && request.path.rfind(kDocsPrefix, 0) == 0) spec = &DocsAssetRoute();
  if (spec == nullptr) {
    return HttpError(404, "not_found", "no route " + request.path + "; GET / lists the routes");
  }
  *route_label = spec->path;
  const std::string allow = std::string(spec->methods) + ",OPTIONS";
  if (request.method == "OPTIONS") {
    HttpResponse res;
    res.status = 204;
    res.content_type.clear();
    res.AddHeader("Allow", allow);
    if (!config_.cors_origin.empty()) {
      res.AddHeader("Access-Control-Allow-Methods", allow);
      res.AddHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.AddHeader("Access-Control-Max-Age", "600");
    }
    return res;
  }
  RouteHandler handler = nullptr;
  if (request.method == "GET" || request.method == "HEAD") handler = spec->get;
  if (request.method == "POST") handler = spec->post;
  if (request.method == "DELETE") handler = spec->del;
  if (handler == nullptr) {
    HttpResponse res = HttpError(405, "method_not_allowed",
                                 request.method + " is not allowed on " + request.path + "; allowed: " + allow);
    res.AddHeader("Allow", allow);
    return res;
  }
  if (!spec->open && !config_.api_key.empty() && !Authorized(request, config_.api_key)) {
    HttpResponse res = HttpError(401, "invalid_api_key",
                                 "missing or wrong API key: send the header 'Authorization: Bearer <key>'");
    res.AddHeader("WWW-Authenticate", "Bearer");
    return res;
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
  Result<HttpResponse> result = handler(ctx, request);
  if (!result.ok()) return ErrorResponse(result.status(), config_.retry_after_seconds);
  return std::move(result).value();
}

void Api::RecordTransportResponse(const std::string& method, const std::string& path, const std::string& remote,
                                  int status, double seconds) {
  metrics_.OnRequest("transport", status, seconds);
  Log(method, path, remote, status, 0, seconds);
}

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
