// OpenAI's POST /v1/embeddings and Ollama's POST /api/embed and
// POST /api/embeddings, shaped so their client libraries work unchanged.
#include <chrono>
#include <cstdint>
#include <limits>

#include "server/json_io.h"
#include "server/routes.h"

namespace imi::server {

namespace {

using Clock = std::chrono::steady_clock;

// OpenAI's `input`: a string, strings, one token list, or token lists.
struct OpenAiInput {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> tokens;
  bool is_tokens = false;
};

Result<std::vector<int32_t>> ReadTokenList(const nlohmann::json& list, const std::string& name) {
  std::vector<int32_t> ids;
  ids.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& v = list[i];
    const std::string where = name + "[" + std::to_string(i) + "]";
    if (!v.is_number_integer()) {
      return Status::InvalidArgument("'" + where + "' must be an integer token id");
    }
    if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
                               : v.get<int64_t>() < 0) {
      return Status::Unprocessable("'" + where + "' is not a token id of this model");
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

Result<OpenAiInput> ReadOpenAiInput(const nlohmann::json& body, size_t max_items) {
  auto it = body.find("input");
  if (it == body.end() || it->is_null()) return Status::InvalidArgument("'input' is required");
  OpenAiInput input;
  if (it->is_string()) {
    input.texts.push_back(it->get<std::string>());
    return input;
  }
  if (!it->is_array()) {
    return Status::InvalidArgument("'input' must be a string, an array of strings, or token ids");
  }
  if (it->empty()) return Status::Unprocessable("'input' must not be empty");
  const nlohmann::json& first = (*it)[0];
  if (first.is_string()) {
    IMI_ASSIGN_OR_RETURN(input.texts, ReadTexts(body, "input", max_items));
    return input;
  }
  input.is_tokens = true;
  if (first.is_number()) {
    IMI_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ReadTokenList(*it, "input"));
    input.tokens.push_back(std::move(ids));
    return input;
  }
  if (!first.is_array()) {
    return Status::InvalidArgument("'input[0]' must be a string, a token id or an array of token ids");
  }
  if (it->size() > max_items) {
    return Status::TooLarge("'input' has " + std::to_string(it->size()) + " inputs, more than the limit of " +
                            std::to_string(max_items) + " per request (--max-client-batch)");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string name = "input[" + std::to_string(i) + "]";
    if (!(*it)[i].is_array()) return Status::InvalidArgument("'" + name + "' must be an array of token ids");
    IMI_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ReadTokenList((*it)[i], name));
    input.tokens.push_back(std::move(ids));
  }
  return input;
}

int64_t Nanoseconds(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

}  // namespace

Result<HttpResponse> HandleOpenAiEmbeddings(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body,
                       ParseObjectBody(request, {"input", "model", "user", "encoding_format", "dimensions"}));
  IMI_ASSIGN_OR_RETURN(OpenAiInput input, ReadOpenAiInput(body, ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> user, ReadString(body, "user"));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> format, ReadString(body, "encoding_format"));
  const bool base64 = format.has_value() && *format == "base64";
  if (format.has_value() && *format != "float" && *format != "base64") {
    return Status::InvalidArgument("'encoding_format' must be \"float\" or \"base64\", got " + JsonString(*format));
  }
  batch::EmbedOptions options;
  IMI_ASSIGN_OR_RETURN(options.dimensions, ReadPositiveInt(body, "dimensions"));
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  Result<EmbedOutcome> result = input.is_tokens ? service->EmbedTokens(input.tokens, options, "input")
                                                : service->EmbedTexts(input.texts, options, "input");
  IMI_RETURN_IF_ERROR(result.status());
  const EmbedOutcome& outcome = *result;

  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < outcome.vectors.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
    if (base64) {
      out += '"' + Base64Float32(outcome.vectors[i]) + '"';
    } else {
      AppendFloatArray(&out, outcome.vectors[i]);
    }
    out += '}';
  }
  out += "],\"model\":" + JsonString(model.value_or(service->backend().info().model_id));
  out += ",\"usage\":{\"prompt_tokens\":" + std::to_string(outcome.prompt_tokens) +
         ",\"total_tokens\":" + std::to_string(outcome.prompt_tokens) + "}}";
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleOllamaEmbed(RouteContext& ctx, const HttpRequest& request) {
  const Clock::time_point start = Clock::now();
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request, {"input", "model", "truncate", "dimensions"}));
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "input", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  batch::EmbedOptions options;
  IMI_ASSIGN_OR_RETURN(std::optional<bool> truncate, ReadBool(body, "truncate"));
  options.truncate = truncate.value_or(true);
  IMI_ASSIGN_OR_RETURN(options.dimensions, ReadPositiveInt(body, "dimensions"));
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, options, "input"));
  std::string out = "{\"model\":" + JsonString(model.value_or(service->backend().info().model_id));
  out += ",\"embeddings\":[";
  for (size_t i = 0; i < outcome.vectors.size(); ++i) {
    if (i > 0) out += ',';
    AppendFloatArray(&out, outcome.vectors[i]);
  }
  out += "],\"total_duration\":" + std::to_string(Nanoseconds(Clock::now() - start));
  out += ",\"load_duration\":0,\"prompt_eval_count\":" + std::to_string(outcome.prompt_tokens) + "}";
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleOllamaEmbeddings(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request, {"prompt", "model"}));
  auto prompt = body.find("prompt");
  if (prompt == body.end() || prompt->is_null()) return Status::InvalidArgument("'prompt' is required");
  if (!prompt->is_string()) return Status::InvalidArgument("'prompt' must be a string");
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts({prompt->get<std::string>()}, {}, "prompt"));
  std::string out = "{\"embedding\":";
  AppendFloatArray(&out, outcome.vectors[0]);
  out += '}';
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

}  // namespace imi::server
