// The original API's /embed (GET ?q= and POST {"texts"}) and Text Embeddings
// Inference's forms of POST /embed ({"inputs", ...}), POST / and SageMaker's
// POST /invocations (the same), and POST /tokenize.
#include <algorithm>
#include <cctype>

#include "base/utf8.h"
#include "server/json_io.h"
#include "server/routes.h"

namespace imi::server {

namespace {

// TEI's options next to "inputs". TEI normalises by default; truncation is
// on by default here (reported in X-Imi-Truncated-Inputs).
Result<batch::EmbedOptions> ReadTeiOptions(const nlohmann::json& body) {
  IMI_ASSIGN_OR_RETURN(batch::EmbedOptions options, ReadTeiTruncationOptions(body));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> normalize, ReadBool(body, "normalize"));
  options.normalize = normalize.value_or(true);
  IMI_ASSIGN_OR_RETURN(options.dimensions, ReadPositiveInt(body, "dimensions"));
  return options;
}

std::string VectorsArray(const std::vector<std::vector<float>>& vectors) {
  std::string out = "[";
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (i > 0) out += ',';
    AppendFloatArray(&out, vectors[i]);
  }
  out += ']';
  return out;
}

size_t DimensionOf(const EmbedOutcome& outcome) { return outcome.vectors.empty() ? 0 : outcome.vectors[0].size(); }

// TEI's embed: {"inputs": string | [string], options} -> [[...], ...].
Result<HttpResponse> TeiEmbed(RouteContext& ctx, const nlohmann::json& body) {
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "inputs", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(batch::EmbedOptions options, ReadTeiOptions(body));
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, options, "inputs"));
  HttpResponse res = JsonResponse(VectorsArray(outcome.vectors));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

}  // namespace

Result<HttpResponse> HandleEmbedGet(RouteContext& ctx, const HttpRequest& request) {
  if (!request.HasQuery("q")) {
    return Status::InvalidArgument("query parameter 'q' is required: GET /embed?q=TEXT");
  }
  const std::string text = request.Query("q");
  if (utf8::FindInvalid(text) != std::string::npos) {
    return Status::InvalidArgument("query parameter 'q' is not valid UTF-8");
  }
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts({text}, {}, "q"));
  std::string body = "{\"vector\":";
  AppendFloatArray(&body, outcome.vectors[0]);
  body += ",\"dimension\":" + std::to_string(DimensionOf(outcome));
  body += ",\"text\":" + JsonString(text) + "}";
  HttpResponse res = JsonResponse(std::move(body));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleEmbedPost(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body,
                       ParseObjectBody(request, {"texts", "inputs", "normalize", "truncate", "truncation_direction",
                                                 "prompt_name", "dimensions", "output"}));
  const bool original = body.contains("texts");
  const bool tei = body.contains("inputs");
  if (tei && !original) ctx.family = ApiFamily::kTei;
  if (original && tei) {
    return Status::InvalidArgument("send either 'texts' (original API) or 'inputs' (TEI), not both");
  }
  if (!original && !tei) {
    return Status::InvalidArgument("'texts' is required: POST /embed {\"texts\": [\"...\"]} "
                                   "(or TEI's {\"inputs\": ...})");
  }
  if (original) {
    if (!body["texts"].is_array()) {
      return Status::InvalidArgument("'texts' must be an array of strings");
    }
    IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "texts", ctx.config.max_client_batch));
    IMI_ASSIGN_OR_RETURN(const unsigned outputs, ReadOutputs(body));
    if (outputs != batch::kDenseOutput) return EmbedOriginalWithOutputs(ctx, texts, outputs);
    IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
    IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, {}, "texts"));
    std::string out = "{\"vectors\":" + VectorsArray(outcome.vectors);
    out += ",\"dimension\":" + std::to_string(DimensionOf(outcome));
    out += ",\"count\":" + std::to_string(outcome.vectors.size()) + "}";
    HttpResponse res = JsonResponse(std::move(out));
    AddEmbeddingHeaders(outcome, &res);
    return res;
  }
  return TeiEmbed(ctx, body);
}

Result<HttpResponse> HandleTeiEmbed(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  if (!body.contains("inputs")) {
    return Status::InvalidArgument("'inputs' is required: POST {\"inputs\": \"...\"} or {\"inputs\": [\"...\"]}");
  }
  return TeiEmbed(ctx, body);
}

Result<HttpResponse> HandleTokenize(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request, {"inputs", "add_special_tokens"}));
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "inputs", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> add_special, ReadBool(body, "add_special_tokens"));
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    auto tokens = service->backend().Tokenize(texts[i], add_special.value_or(true));
    if (!tokens.ok()) {
      return tokens.status().WithContext(texts.size() > 1 ? "inputs[" + std::to_string(i) + "]" : "inputs");
    }
    nlohmann::json list = nlohmann::json::array();
    for (const batch::TokenInfo& token : *tokens) {
      list.push_back({{"id", token.id},
                      {"text", token.text},
                      {"special", token.special},
                      {"start", token.start},
                      {"stop", token.end}});
    }
    out.push_back(std::move(list));
  }
  return JsonResponse(DumpJson(out));
}

}  // namespace imi::server
