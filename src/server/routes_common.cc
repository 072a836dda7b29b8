#include "server/routes.h"

#include <algorithm>
#include <cctype>

#include "base/utf8.h"
#include "server/json_io.h"

namespace imi::server {

namespace {

std::string TypeName(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

}  // namespace

Result<EmbedService*> RequireService(const RouteContext& ctx) {
  if (ctx.service != nullptr && ctx.state == ServeState::kReady) return ctx.service;
  switch (ctx.state) {
    case ServeState::kLoading: return Status::Unavailable("the model is still loading; retry shortly");
    case ServeState::kFailed: return Status::Unavailable("the model failed to load: " + ctx.failure);
    case ServeState::kStopping: return Status::Unavailable("the server is shutting down");
    case ServeState::kReady: break;
  }
  return Status::Unavailable("the model is not available");
}

Result<nlohmann::json> ParseObjectBody(const HttpRequest& request, std::initializer_list<std::string_view> fields,
                                       std::vector<std::string>* skipped) {
  JsonBodyOptions options;
  options.memory = request.memory;
  options.fields.assign(fields.begin(), fields.end());
  options.skipped = skipped;
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body, options));
  if (!body.is_object()) {
    return Status::InvalidArgument("the request body must be a JSON object, got " + TypeName(body));
  }
  return body;
}

Result<std::vector<std::string>> ReadTexts(const nlohmann::json& body, const std::string& field, size_t max_items) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return Status::InvalidArgument("'" + field + "' is required");
  std::vector<std::string> texts;
  if (it->is_string()) {
    texts.push_back(it->get<std::string>());
    return texts;
  }
  if (!it->is_array()) {
    return Status::InvalidArgument("'" + field + "' must be a string or an array of strings, got " + TypeName(*it));
  }
  if (it->size() > max_items) {
    return Status::TooLarge("'" + field + "' has " + std::to_string(it->size()) + " inputs, more than the limit of " +
                            std::to_string(max_items) + " per request (--max-client-batch)");
  }
  texts.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    if (!item.is_string()) {
      return Status::InvalidArgument("'" + field + "[" + std::to_string(i) + "]' must be a string, got " +
                                     TypeName(item));
    }
    texts.push_back(item.get<std::string>());
  }
  return texts;
}

Result<std::optional<bool>> ReadBool(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return Status::InvalidArgument("'" + field + "' must be true or false, got " + TypeName(*it));
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<size_t>> ReadPositiveInt(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<size_t>();
  if (!it->is_number_integer()) {
    return Status::InvalidArgument("'" + field + "' must be a positive integer, got " + TypeName(*it));
  }
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v == 0) return Status::Unprocessable("'" + field + "' must be a positive integer, got 0");
    return std::optional<size_t>(static_cast<size_t>(v));
  }
  const int64_t v = it->get<int64_t>();
  if (v <= 0) return Status::Unprocessable("'" + field + "' must be a positive integer, got " + std::to_string(v));
  return std::optional<size_t>(static_cast<size_t>(v));
}

Result<std::optional<std::string>> ReadString(const nlohmann::json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidArgument("'" + field + "' must be a string, got " + TypeName(*it));
  return std::optional<std::string>(it->get<std::string>());
}

Result<batch::EmbedOptions> ReadTeiTruncationOptions(const nlohmann::json& body) {
  batch::EmbedOptions options;
  IMI_ASSIGN_OR_RETURN(std::optional<bool> truncate, ReadBool(body, "truncate"));
  options.truncate = truncate.value_or(true);
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> direction, ReadString(body, "truncation_direction"));
  if (direction.has_value()) {
    std::string lower = *direction;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "left" && lower != "right") {
      return Status::InvalidArgument("'truncation_direction' must be \"Right\" or \"Left\", got " +
                                     JsonString(*direction));
    }
    options.truncate_left = lower == "left";
  }
  IMI_ASSIGN_OR_RETURN(options.prompt_name, ReadString(body, "prompt_name"));
  return options;
}

namespace {

// Names other vector stores and clients use for imi's fields.
const char* HintFor(std::string_view field) {
  if (field == "top_k" || field == "limit" || field == "n_results" || field == "topK") return "k";
  if (field == "where" || field == "filters" || field == "metadata_filter") return "filter";
  if (field == "query_text" || field == "text" || field == "q") return "query";
  if (field == "embedding" || field == "query_vector" || field == "query_embedding") return "vector";
  if (field == "payload" || field == "metadatas") return "metadata";
  return nullptr;
}

}  // namespace

Status RejectUnknownFields(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                           const std::string& where) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (found) continue;
    std::string message = "unknown field '" + where + it.key() + "'";
    const char* hint = HintFor(it.key());
    bool hint_known = false;
    for (std::string_view k : known) hint_known = hint_known || (hint != nullptr && k == hint);
    if (hint_known) message += "; did you mean '" + where + hint + "'?";
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return Status::Unprocessable(message + " (fields here: " + list + ")");
  }
  return Status::Ok();
}

void AddEmbeddingHeaders(const EmbedOutcome& outcome, HttpResponse* response) {
  response->AddHeader("X-Imi-Prompt-Tokens", std::to_string(outcome.prompt_tokens));
  response->AddHeader("X-Imi-Truncated-Inputs", std::to_string(outcome.truncated_inputs));
}

nlohmann::json RevisionJson(const std::string& revision) {
  if (revision.empty() || revision == "unknown") return nullptr;
  return revision;
}

HttpResponse JsonResponse(std::string body) {
  HttpResponse res;
  res.body = std::move(body);
  return res;
}

}  // namespace imi::server
