// Cross-encoder reranking: TEI's POST /rerank and the Cohere / Jina form
// POST /v1/rerank, scored by the reranker served with --reranker through the
// same batching queue as embeddings.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "server/json_io.h"
#include "server/routes.h"
#include "store/vector_store.h"

namespace imi::server {

namespace {

float Sigmoid(float x) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))); }

// Indices of `scores` from the highest score down; ties keep input order.
std::vector<size_t> RankOrder(const std::vector<float>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// A document of the Cohere / Jina request: a string or an object with "text".
Result<std::string> DocumentText(const nlohmann::json& item, size_t i) {
  if (item.is_string()) return item.get<std::string>();
  if (item.is_object()) {
    auto text = item.find("text");
    if (text != item.end() && text->is_string()) return text->get<std::string>();
  }
  return Status::InvalidArgument("'documents[" + std::to_string(i) +
                                 "]' must be a string or an object with a string \"text\"");
}

}  // namespace

Result<HttpResponse> HandleTeiRerank(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> query, ReadString(body, "query"));
  if (!query.has_value()) return Status::InvalidArgument("'query' is required");
  if (!body.contains("texts") || !body["texts"].is_array()) {
    return Status::InvalidArgument("'texts' is required: an array of strings");
  }
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "texts", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> raw_scores, ReadBool(body, "raw_scores"));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> return_text, ReadBool(body, "return_text"));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> truncate, ReadBool(body, "truncate"));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> direction, ReadString(body, "truncation_direction"));
  batch::EmbedOptions options;
  options.truncate = truncate.value_or(true);
  if (direction.has_value()) {
    std::string lower = *direction;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "left" && lower != "right") {
      return Status::InvalidArgument("'truncation_direction' must be \"Right\" or \"Left\", got " +
                                     JsonString(*direction));
    }
    options.truncate_left = lower == "left";
  }
  if (query->empty()) return Status::Unprocessable("'query' must not be an empty string");
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->Rerank(*query, texts, options, "texts"));
  // TEI: sigmoid of the logit unless raw_scores, whatever the model's own activation.
  std::vector<float> scores = outcome.scores;
  if (!raw_scores.value_or(false)) {
    for (float& s : scores) s = Sigmoid(s);
  }
  std::string out = "[";
  bool first = true;
  for (size_t i : RankOrder(scores)) {
    if (!first) out += ',';
    first = false;
    out += "{\"index\":" + std::to_string(i);
    if (return_text.value_or(false)) out += ",\"text\":" + JsonString(texts[i]);
    out += ",\"score\":";
    AppendFloat(&out, scores[i]);
    out += '}';
  }
  out += ']';
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleV1Rerank(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  // Jina also sends the query as {"text": ...}.
  auto q = body.find("query");
  if (q == body.end() || q->is_null()) return Status::InvalidArgument("'query' is required");
  std::string query;
  if (q->is_string()) {
    query = q->get<std::string>();
  } else if (q->is_object() && q->contains("text") && (*q)["text"].is_string()) {
    query = (*q)["text"].get<std::string>();
  } else {
    return Status::InvalidArgument("'query' must be a string");
  }
  auto docs = body.find("documents");
  if (docs == body.end() || !docs->is_array()) {
    return Status::InvalidArgument("'documents' is required: an array of strings or {\"text\"} objects");
  }
  if (docs->size() > ctx.config.max_client_batch) {
    return Status::TooLarge("'documents' has " + std::to_string(docs->size()) + " items, more than the limit of " +
                            std::to_string(ctx.config.max_client_batch) + " per request (--max-client-batch)");
  }
  std::vector<std::string> texts;
  texts.reserve(docs->size());
  for (size_t i = 0; i < docs->size(); ++i) {
    IMI_ASSIGN_OR_RETURN(std::string text, DocumentText((*docs)[i], i));
    texts.push_back(std::move(text));
  }
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  IMI_ASSIGN_OR_RETURN(std::optional<size_t> top_n, ReadPositiveInt(body, "top_n"));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> return_documents, ReadBool(body, "return_documents"));
  if (query.empty()) return Status::Unprocessable("'query' must not be an empty string");
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->Rerank(query, texts, {}, "documents"));
  // relevance_score: the reranker's configured activation (sigmoid for most).
  const batch::RerankerInfo* reranker = service->backend().reranker();
  std::vector<float> scores = outcome.scores;
  if (reranker != nullptr && reranker->sigmoid) {
    for (float& s : scores) s = Sigmoid(s);
  }
  const std::vector<size_t> order = RankOrder(scores);
  const size_t count = std::min(order.size(), top_n.value_or(order.size()));
  std::string out = "{\"id\":" + JsonString(store::GenerateDocumentId());
  out += ",\"model\":" + JsonString(model.value_or(reranker != nullptr ? reranker->model_id : ""));
  out += ",\"results\":[";
  for (size_t k = 0; k < count; ++k) {
    const size_t i = order[k];
    if (k > 0) out += ',';
    out += "{\"index\":" + std::to_string(i) + ",\"relevance_score\":";
    AppendFloat(&out, scores[i]);
    if (return_documents.value_or(false)) out += ",\"document\":{\"text\":" + JsonString(texts[i]) + "}";
    out += '}';
  }
  out += "],\"usage\":{\"total_tokens\":" + std::to_string(outcome.prompt_tokens) + "}";
  out += ",\"meta\":{\"api_version\":{\"version\":\"2\"},\"billed_units\":{\"search_units\":1}}}";
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

}  // namespace imi::server
