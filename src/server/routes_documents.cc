// The collection routes beside search that vector-database users expect:
// GET /collections/{name}/documents (list and page, optionally filtered),
// POST /collections/{name}/count, POST /collections/{name}/delete (by
// filter) and PATCH /collections/{name}/documents/{id} (metadata only, no
// re-embedding).
#include <charconv>

#include "server/json_io.h"
#include "server/routes.h"
#include "store/filter.h"
#include "store/vector_store.h"

namespace imi::server {

namespace {

using nlohmann::json;

Result<store::Filter> ReadFilter(const json& value) {
  auto parsed = store::Filter::Parse(value);
  if (!parsed.ok()) return parsed.status().WithContext("filter");
  return std::move(parsed).value();
}

// ?limit=N: an integer 1..kMaxListLimit (400 when not a number, 422 out of range).
Result<int> ReadLimit(const HttpRequest& request) {
  if (!request.HasQuery("limit")) return 100;
  const std::string text = request.Query("limit");
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("'limit' must be an integer, got \"" + text.substr(0, 40) + "\"");
  }
  if (value < 1 || value > store::kMaxListLimit) {
    return Status::Unprocessable("'limit' must be between 1 and " + std::to_string(store::kMaxListLimit) + ", got " +
                                 text);
  }
  return static_cast<int>(value);
}

Status RejectUnknownQuery(const HttpRequest& request, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : request.query) {
    bool found = false;
    for (std::string_view k : known) found = found || name == k;
    if (!found) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Status::Unprocessable("unknown query parameter '" + name + "'; known: " + list);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<HttpResponse> HandleListDocuments(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_RETURN_IF_ERROR(RejectUnknownQuery(request, {"limit", "after", "filter", "include"}));
  store::ListRequest list;
  IMI_ASSIGN_OR_RETURN(list.limit, ReadLimit(request));
  list.after = request.Query("after");
  if (!list.after.empty()) IMI_RETURN_IF_ERROR(store::ValidateDocumentId(list.after).WithContext("after"));
  if (request.HasQuery("filter")) {
    const json filter = json::parse(request.Query("filter"), nullptr, false);
    if (filter.is_discarded()) return Status::InvalidArgument("'filter' must be a JSON object (URL-encoded)");
    IMI_ASSIGN_OR_RETURN(list.filter, ReadFilter(filter));
  }
  if (request.HasQuery("include")) {
    list.with_text = list.with_metadata = false;
    const std::string include = request.Query("include");
    size_t start = 0;
    while (start <= include.size()) {
      size_t end = include.find(',', start);
      if (end == std::string::npos) end = include.size();
      const std::string item = include.substr(start, end - start);
      if (item == "text") {
        list.with_text = true;
      } else if (item == "metadata") {
        list.with_metadata = true;
      } else if (!item.empty()) {
        return Status::InvalidArgument("'include' items must be \"text\" or \"metadata\", got \"" +
                                       item.substr(0, 40) + "\"");
      }
      start = end + 1;
    }
  }
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(store::DocumentPage page, vs->ListDocuments(name, list));
  json documents = json::array();
  for (const store::Document& doc : page.documents) {
    json row = {{"id", doc.id}};
    if (list.with_text && !doc.text.empty()) row["text"] = doc.text;
    if (list.with_metadata) row["metadata"] = doc.metadata;
    documents.push_back(std::move(row));
  }
  const json out = {{"collection", name},
                    {"count", documents.size()},
                    {"documents", std::move(documents)},
                    {"next_after", page.next_after.empty() ? json(nullptr) : json(page.next_after)}};
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleCountDocuments(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  store::Filter filter;
  if (!request.body.empty()) {
    IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
    IMI_RETURN_IF_ERROR(RejectUnknownFields(body, {"filter"}));
    if (auto it = body.find("filter"); it != body.end()) {
      IMI_ASSIGN_OR_RETURN(filter, ReadFilter(*it));
    }
  }
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(int64_t count, vs->CountDocuments(name, filter));
  return JsonResponse(DumpJson(json{{"collection", name}, {"count", count}}));
}

Result<HttpResponse> HandleDeleteByFilter(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
  IMI_RETURN_IF_ERROR(RejectUnknownFields(body, {"filter"}));
  auto it = body.find("filter");
  if (it == body.end() || it->is_null()) {
    return Status::InvalidArgument("'filter' is required: {\"filter\": {...}} deletes the matching documents, "
                                   "{\"filter\": {}} every document");
  }
  IMI_ASSIGN_OR_RETURN(store::Filter filter, ReadFilter(*it));
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_RETURN_IF_ERROR(vs->PrepareIndex(name));  // as for single deletes: the loaded graph takes the change
  IMI_ASSIGN_OR_RETURN(int64_t deleted, vs->DeleteDocuments(name, filter));
  return JsonResponse(DumpJson(json{{"collection", name}, {"deleted", deleted}}));
}

Result<HttpResponse> HandlePatchDocument(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  const std::string id = ctx.params.size() > 1 ? ctx.params[1] : "";
  IMI_RETURN_IF_ERROR(store::ValidateDocumentId(id));
  IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
  IMI_RETURN_IF_ERROR(RejectUnknownFields(body, {"metadata"}));
  auto it = body.find("metadata");
  if (it == body.end() || !it->is_object()) {
    return Status::InvalidArgument("'metadata' must be a JSON object: a merge patch (RFC 7386) of the document's "
                                   "metadata; null removes a key");
  }
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(json metadata, vs->PatchMetadata(name, id, *it));
  return JsonResponse(DumpJson(json{{"collection", name}, {"id", id}, {"metadata", std::move(metadata)}}));
}

}  // namespace imi::server
