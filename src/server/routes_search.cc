// The search page for residents (/search), its JSON for the embeddable
// widget (/search/results) and their assets. Both run the same search as
// POST /collections/{name}/search, through that handler, so the page, the
// widget and the API rank alike.
#include <algorithm>
#include <map>

#include "base/utf8.h"
#include "server/json_io.h"
#include "server/routes.h"
#include "server/search_page.h"
#include "server/snippet.h"
#include "store/vector_store.h"

namespace imi::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxQueryChars = 256;

// Public collections, or any with the API key sent along.
bool IsPublic(const RouteContext& ctx, const std::string& collection) {
  if (!ctx.config.api_key.empty() && ctx.authorized) return true;
  for (const std::string& name : ctx.config.public_search) {
    if (name == "*" || name == collection) return true;
  }
  return false;
}

// The modes a collection offers, the default first: hybrid (the default),
// keyword and semantic when it has a lexical index, else semantic only.
std::vector<std::string> SearchModes(RouteContext& ctx, const std::string& collection) {
  Result<store::VectorStore*> vs = RequireStore(ctx);
  if (vs.ok()) {
    Result<store::CollectionInfo> info = (*vs)->GetCollection(collection);
    if (info.ok() && !info->spec.lexical.analyzers.empty()) return {"hybrid", "keyword", "semantic"};
  }
  return {"semantic"};
}

// The collection search API's mode for a search page mode.
const char* ApiMode(const std::string& mode) {
  if (mode == "keyword") return "lexical";
  if (mode == "hybrid") return "hybrid";
  return "dense";
}

// Runs POST /collections/{name}/search with `body` and returns its JSON.
Result<json> CollectionSearch(RouteContext& ctx, const std::string& collection, const json& body) {
  HttpRequest inner;
  inner.method = "POST";
  inner.path = "/collections/" + collection + "/search";
  inner.body = body.dump();
  RouteContext inner_ctx = ctx;
  inner_ctx.params = {collection};
  IMI_ASSIGN_OR_RETURN(HttpResponse response, HandleSearchCollection(inner_ctx, inner));
  json parsed = json::parse(response.body, nullptr, false);
  if (!parsed.is_object() || !parsed["results"].is_array()) return Status::Internal("search returned no results array");
  return parsed;
}

json SearchBody(const SearchView& view, const std::string& mode, const std::string* section) {
  json body = {{"query", view.query}, {"k", kMaxResults}, {"include", {"text", "metadata", "score"}}};
  body["mode"] = ApiMode(mode);
  if (section != nullptr) body["filter"] = {{"section", *section}};
  return body;
}

std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Fills `view` from the request and runs the search. Errors the page shows
// (unknown collection, bad query, store down) land in view.error/status.
void BuildView(RouteContext& ctx, const HttpRequest& request, SearchView* view) {
  view->lang = request.Query("lang") == "en" ? "en" : "ja";
  view->collection = request.Query("c");
  view->query = request.Query("q");
  while (!view->query.empty() && (view->query.back() == ' ' || view->query.back() == '\t')) view->query.pop_back();
  while (!view->query.empty() && (view->query.front() == ' ' || view->query.front() == '\t')) view->query.erase(0, 1);
  if (utf8::FindInvalid(view->query) != std::string::npos) view->query = utf8::ReplaceInvalid(view->query);
  const std::string page = request.Query("page");
  view->page = std::clamp(page.empty() ? 1 : std::atoi(page.c_str()), 1, kMaxResults / kResultsPerPage);
  view->section_filtered = request.HasQuery("section");
  view->section = request.Query("section");
  if (!store::ValidateCollectionName(view->collection).ok() || !IsPublic(ctx, view->collection)) {
    view->error = SearchMessage(view->lang, "unknown_collection");
    view->status = 404;
    return;
  }
  view->modes = SearchModes(ctx, view->collection);
  const std::string wanted = request.Query("mode");
  view->mode = std::find(view->modes.begin(), view->modes.end(), wanted) != view->modes.end() ? wanted : view->modes[0];
  if (view->query.empty()) return;
  if (utf8::CountCodePoints(view->query) > kMaxQueryChars) {
    view->error = SearchMessage(view->lang, "query_too_long");
    view->status = 400;
    return;
  }
  Result<json> all = CollectionSearch(ctx, view->collection, SearchBody(*view, view->mode, nullptr));
  Result<json> found = all;
  if (all.ok() && view->section_filtered) {
    found = CollectionSearch(ctx, view->collection, SearchBody(*view, view->mode, &view->section));
  }
  if (!found.ok()) {
    const StatusCode code = found.status().code();
    view->status = code == StatusCode::kNotFound ? 404 : HttpStatusFor(code);
    view->error = SearchMessage(view->lang, code == StatusCode::kNotFound ? "unknown_collection" : "error");
    if (view->status < 500 && code != StatusCode::kNotFound) view->error += " (" + found.status().message() + ")";
    return;
  }
  // Sections among the top results of the query without the filter.
  std::map<std::string, size_t> counts;
  for (const json& hit : (*all)["results"]) counts[StringField(hit.value("metadata", json::object()), "section")]++;
  for (const auto& [name, count] : counts) view->sections.emplace_back(name, count);
  std::stable_sort(view->sections.begin(), view->sections.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  const json& hits = (*found)["results"];
  view->total = hits.size();
  view->capped = view->total >= static_cast<size_t>(kMaxResults);
  view->pages = static_cast<int>((view->total + kResultsPerPage - 1) / kResultsPerPage);
  view->page = std::min(view->page, std::max(1, view->pages));
  const std::vector<std::string> needles = HighlightNeedles(view->query);
  const size_t begin = static_cast<size_t>(view->page - 1) * kResultsPerPage;
  for (size_t i = begin; i < hits.size() && i < begin + kResultsPerPage; ++i) {
    const json& hit = hits[i];
    const json meta = hit.value("metadata", json::object());
    SearchView::Result r;
    r.rank = static_cast<int>(i + 1);
    r.url = StringField(meta, "url");
    if (r.url.empty()) r.url = hit.value("id", "");
    r.title = StringField(meta, "title");
    r.section = StringField(meta, "section");
    r.last_modified = StringField(meta, "last_modified");
    r.score = hit.value("score", 0.0);
    const json chunk = hit.value("chunk", json::object());
    std::string text = StringField(chunk, "text");
    if (text.empty()) text = StringField(hit, "text");
    r.snippet = MakeSnippet(text, needles);
    view->results.push_back(std::move(r));
  }
}

HttpResponse WithPageHeaders(HttpResponse res) {
  res.AddHeader("X-Content-Type-Options", "nosniff");
  // The query is in the URL: results must not pass it on to the sites they link.
  res.AddHeader("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace

Result<HttpResponse> HandleSearchPage(RouteContext& ctx, const HttpRequest& request) {
  SearchView view;
  BuildView(ctx, request, &view);
  HttpResponse res;
  res.status = view.status;
  res.content_type = "text/html; charset=utf-8";
  res.body = RenderSearchPage(view);
  res.AddHeader("Content-Security-Policy",
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'");
  return WithPageHeaders(std::move(res));
}

Result<HttpResponse> HandleSearchResults(RouteContext& ctx, const HttpRequest& request) {
  SearchView view;
  BuildView(ctx, request, &view);
  if (view.status != 200) {
    const Status status = view.status == 404 ? Status::NotFound(view.error)
                          : view.status == 400 ? Status::InvalidArgument(view.error)
                                               : Status::Unavailable(view.error);
    return status;
  }
  return WithPageHeaders(JsonResponse(DumpJson(SearchViewJson(view))));
}

Result<HttpResponse> HandleSearchAsset(RouteContext&, const HttpRequest& request) {
  HttpResponse res;
  if (request.path == "/search/search.css") {
    res.content_type = "text/css; charset=utf-8";
    res.body = SearchStylesheet();
  } else {
    res.content_type = "application/javascript; charset=utf-8";
    res.body = SearchWidgetScript();
  }
  res.AddHeader("Cache-Control", "public, max-age=3600");
  return WithPageHeaders(std::move(res));
}

}  // namespace imi::server
