// GET /, /info, /healthz, /metrics, /openapi.json, /docs and its assets.
#include <map>
#include <mutex>

#include "base/file.h"
#include "server/json_io.h"
#include "server/process_metrics.h"
#include "server/routes.h"

namespace imi::server {

namespace {

const char* StateName(ServeState state) {
  switch (state) {
    case ServeState::kLoading: return "loading";
    case ServeState::kReady: return "ready";
    case ServeState::kFailed: return "failed";
    case ServeState::kStopping: return "stopping";
  }
  return "unknown";
}

nlohmann::json ModelJson(const RouteContext& ctx) {
  if (ctx.service == nullptr) return nullptr;
  const batch::BackendInfo& info = ctx.service->backend().info();
  nlohmann::json outputs = nlohmann::json::array();
  for (auto [bit, name] : {std::pair{batch::kDenseOutput, "dense"}, {batch::kSparseOutput, "sparse"},
                           {batch::kColbertOutput, "colbert"}}) {
    if (info.outputs & bit) outputs.push_back(name);
  }
  nlohmann::json out = {{"id", info.model_id},
                        {"revision", RevisionJson(info.revision)},
                        {"variant", info.variant},
                        {"dimension", info.dimension},
                        {"max_length", info.max_seq_length},
                        {"pooling", info.pooling},
                        {"normalize", info.normalize},
                        {"prompts", info.prompt_names},
                        {"threads", info.threads},
                        {"outputs", outputs}};
  if (info.outputs & batch::kColbertOutput) out["colbert_dimension"] = info.colbert_dimension;
  return out;
}

// The reranker served beside the model (--reranker), or null.
nlohmann::json RerankerJson(const RouteContext& ctx) {
  if (ctx.service == nullptr || ctx.service->backend().reranker() == nullptr) return nullptr;
  const batch::RerankerInfo& r = *ctx.service->backend().reranker();
  return {{"id", r.model_id},
          {"revision", RevisionJson(r.revision)},
          {"variant", r.variant},
          {"max_length", r.max_length},
          {"activation", r.sigmoid ? "sigmoid" : "identity"}};
}

// Files of swagger-ui-dist that /docs uses, with their content types.
const std::map<std::string, std::string>& DocsAssets() {
  static const std::map<std::string, std::string> assets = {
      {"swagger-ui.css", "text/css; charset=utf-8"},
      {"swagger-ui-bundle.js", "application/javascript; charset=utf-8"},
      {"favicon-32x32.png", "image/png"},
      {"favicon-16x16.png", "image/png"},
  };
  return assets;
}

// Reads an asset once and keeps it; the files are static while serving.
Result<std::string> LoadAsset(const std::string& dir, const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::string> cache;
  const std::string path = dir + "/" + name;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  IMI_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  cache.emplace(path, data);
  return data;
}

bool HasSwaggerUi(const std::string& dir) {
  return !dir.empty() && LoadAsset(dir, "swagger-ui-bundle.js").ok() && LoadAsset(dir, "swagger-ui.css").ok();
}

constexpr char kSwaggerPage[] = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imi API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
</body></html>
)";

// Shown when swagger-ui-dist is not installed: the same document, listed.
constexpr char kPlainPage[] = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imi API</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
code{background:#f3f3f3;padding:0 .3em}.m{display:inline-block;min-width:4em;font-weight:bold}
pre{background:#f7f7f7;padding:.5em;overflow:auto}</style></head>
<body><h1>imi API</h1>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3).
Install swagger-ui-dist (scripts/setup.sh) for the interactive page.</p>
<div id="routes">Loading…</div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('routes');
  root.textContent = '';
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const h = document.createElement('h3');
      h.innerHTML = '<span class="m"></span> <code></code>';
      h.children[0].textContent = method.toUpperCase();
      h.children[1].textContent = path;
      root.appendChild(h);
      const p = document.createElement('p');
      p.textContent = (op.summary || '') + (op.description ? ' — ' + op.description : '');
      root.appendChild(p);
    }
  }
}).catch(e => { document.getElementById('routes').textContent = 'Could not load /openapi.json: ' + e; });
</script></body></html>
)";

// True when the client asks for text/html before (or without) JSON: a
// browser's navigation; curl, fetch() and the SDKs send */* or JSON.
bool PrefersHtml(const HttpRequest& request) {
  std::string accept = request.Header("accept");
  for (char& c : accept) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t html = accept.find("text/html");
  if (html == std::string::npos) return false;
  const size_t json = accept.find("application/json");
  return json == std::string::npos || html < json;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr char kRootLinks[] = R"(<h2>Next</h2><ul>
<li><a href="/docs">/docs</a>: the API, browsable</li>
<li><a href="/openapi.json">/openapi.json</a>: its OpenAPI 3 description</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
<li><a href="/healthz">/healthz</a>: readiness</li>
</ul></body></html>
)";

// The page a browser gets at /: what is served and where to go next.
std::string RootPage(const RouteContext& ctx) {
  std::string page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imi</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}
th{text-align:left;padding-right:1em;font-weight:normal;color:#555}code{background:#f3f3f3;padding:0 .3em}</style>
</head><body><h1>imi (意味)</h1>
<p>Japanese-first sentence embeddings and semantic search. )";
  page += "Version " + HtmlEscape(ctx.config.version) + ", status <strong>" + StateName(ctx.state) + "</strong>.</p>\n";
  if (ctx.service != nullptr) {
    const batch::BackendInfo& info = ctx.service->backend().info();
    page += "<h2>Model</h2><table>\n<tr><th>model</th><td><code>" + HtmlEscape(info.model_id) + "</code></td></tr>\n";
    page += "<tr><th>revision</th><td>" + (info.revision.empty() ? std::string("unknown") : HtmlEscape(info.revision)) +
            "</td></tr>\n";
    page += "<tr><th>dimension</th><td>" + std::to_string(info.dimension) + "</td></tr>\n";
    page += "<tr><th>max length</th><td>" + std::to_string(info.max_seq_length) + " tokens</td></tr>\n";
    page += "<tr><th>variant</th><td>" + HtmlEscape(info.variant) + "</td></tr>\n</table>\n";
  } else {
    page += "<p>The model is not loaded yet.</p>\n";
  }
  page += "<h2>Collections</h2>\n";
  if (!ctx.authorized) {
    page += "<p>This server needs an API key: <code>GET /collections</code> with "
            "<code>Authorization: Bearer KEY</code> lists them.</p>\n";
    return page + kRootLinks;
  }
  Result<store::VectorStore*> vs = ctx.store != nullptr ? ctx.store->Get() : Result<store::VectorStore*>(
                                                                                 Status::Unavailable("none"));
  if (!vs.ok()) {
    page += "<p>No vector store (start <code>imi serve --store DIR</code> or <code>--pg DSN</code>).</p>\n";
  } else if (auto collections = (*vs)->ListCollections(); !collections.ok()) {
    page += "<p>The vector store is not reachable: " + HtmlEscape(collections.status().message()) + "</p>\n";
  } else if (collections->empty()) {
    page += "<p>None yet: <code>POST /collections {\"name\": \"docs\"}</code> creates one.</p>\n";
  } else {
    page += "<ul>\n";
    for (const store::CollectionInfo& c : *collections) {
      page += "<li><a href=\"/collections/" + HtmlEscape(c.spec.name) + "\">" + HtmlEscape(c.spec.name) + "</a> — " +
              std::to_string(c.document_count) + " documents, " + std::to_string(c.chunk_count) + " chunks</li>\n";
    }
    page += "</ul>\n";
  }
  return page + kRootLinks;
}

}  // namespace

Result<HttpResponse> HandleRoot(RouteContext& ctx, const HttpRequest& request) {
  if (PrefersHtml(request)) {
    HttpResponse res;
    res.content_type = "text/html; charset=utf-8";
    res.body = RootPage(ctx);
    return res;
  }
  nlohmann::json routes = nlohmann::json::array();
  for (const RouteSpec& spec : RouteTable()) {
    std::string open;
    for (const RouteMethod& m : spec.methods) {
      if (m.open) open += (open.empty() ? "" : ",") + std::string(m.method);
    }
    routes.push_back({{"path", spec.path},
                      {"methods", spec.MethodList()},
                      {"public_methods", open},
                      {"description", spec.description}});
  }
  const nlohmann::json out = {
      {"name", "imi"},
      {"description", "Japanese-first sentence embedding API (original, TEI, OpenAI and Ollama routes)"},
      {"version", ctx.config.version},
      {"status", StateName(ctx.state)},
      {"model", ModelJson(ctx)},
      {"reranker", RerankerJson(ctx)},
      {"limits",
       {{"payload_limit_bytes", ctx.config.payload_limit_bytes},
        {"max_client_batch", ctx.config.max_client_batch},
        {"max_batch_tokens", ctx.config.batcher.max_batch_tokens},
        {"max_queued_inputs", ctx.config.batcher.max_queued_inputs}}},
      {"auth", ctx.config.api_key.empty() ? "none" : "bearer"},
      {"docs", "/docs"},
      {"openapi", "/openapi.json"},
      {"routes", routes}};
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleHealth(RouteContext& ctx, const HttpRequest&) {
  if (ctx.state == ServeState::kReady) return JsonResponse("{\"ok\":true}");
  nlohmann::json out = {{"ok", false}, {"status", StateName(ctx.state)}};
  if (ctx.state == ServeState::kFailed) out["error"] = ctx.failure;
  HttpResponse res = JsonResponse(DumpJson(out));
  res.status = 503;
  res.AddHeader("Retry-After", std::to_string(ctx.config.retry_after_seconds));
  return res;
}

Result<HttpResponse> HandleInfo(RouteContext& ctx, const HttpRequest&) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  const batch::BackendInfo& info = service->backend().info();
  const nlohmann::json out = {
      {"model_id", info.model_id},
      {"model_sha", RevisionJson(info.revision)},
      {"model_dtype", info.variant},
      {"model_type", {{"embedding", {{"pooling", info.pooling}}}}},
      {"max_concurrent_requests", ctx.config.batcher.max_queued_inputs},
      {"max_input_length", info.max_seq_length},
      {"max_batch_tokens", ctx.config.batcher.max_batch_tokens},
      {"max_client_batch_size", ctx.config.max_client_batch},
      {"tokenization_workers", 0},
      {"dimension", info.dimension},
      {"version", ctx.config.version}};
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleMetrics(RouteContext& ctx, const HttpRequest&) {
  HttpResponse res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = ctx.metrics.Render(ctx.service != nullptr ? ctx.service->queued_inputs() : 0,
                                ctx.state == ServeState::kReady);
  AppendProcessMetrics(&res.body);
  res.body += "# HELP imi_build_info The imi build serving: version, git commit, ONNX Runtime version. Always 1.\n"
              "# TYPE imi_build_info gauge\n"
              "imi_build_info{version=\"" + PrometheusLabelValue(ctx.config.version) + "\",commit=\"" +
              PrometheusLabelValue(ctx.config.build_commit) + "\",onnxruntime=\"" +
              PrometheusLabelValue(ctx.config.onnxruntime_version) + "\"} 1\n";
  return res;
}

Result<HttpResponse> HandleOpenApi(RouteContext&, const HttpRequest&) { return JsonResponse(OpenApiDocument()); }

Result<HttpResponse> HandleDocs(RouteContext& ctx, const HttpRequest&) {
  HttpResponse res;
  res.content_type = "text/html; charset=utf-8";
  res.body = HasSwaggerUi(ctx.config.swagger_ui_dir) ? kSwaggerPage : kPlainPage;
  return res;
}

Result<HttpResponse> HandleDocsAsset(RouteContext& ctx, const HttpRequest& request) {
  const std::string name = request.path.substr(std::string("/docs/").size());
  auto it = DocsAssets().find(name);
  if (it == DocsAssets().end() || ctx.config.swagger_ui_dir.empty()) {
    return Status::NotFound("no such documentation file: " + request.path);
  }
  auto data = LoadAsset(ctx.config.swagger_ui_dir, name);
  if (!data.ok()) return Status::NotFound("swagger-ui-dist has no " + name + " (run scripts/setup.sh)");
  HttpResponse res;
  res.content_type = it->second;
  res.body = std::move(data).value();
  res.AddHeader("Cache-Control", "public, max-age=3600");
  return res;
}

}  // namespace imi::server
