// The model-listing routes tools probe before they embed: OpenAI's
// GET /v1/models and /v1/models/{id}; Ollama's GET /api/tags, POST /api/show,
// GET /api/version and GET /api/ps. One model is served; these describe it in
// the shapes those clients parse.
#include <chrono>
#include <ctime>

#include "server/json_io.h"
#include "server/routes.h"

namespace imi::server {

namespace {

using nlohmann::json;

// Seconds since the epoch when this process first described its model:
// the "created"/"modified_at" of the served model.
int64_t StartSeconds() {
  static const int64_t start = static_cast<int64_t>(std::time(nullptr));
  return start;
}

std::string IsoTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Ollama names carry a tag; "model" and "model:latest" are the same model.
bool SameOllamaName(const std::string& asked, const std::string& model_id) {
  return asked == model_id || asked == model_id + ":latest";
}

json OpenAiModel(const batch::BackendInfo& info) {
  return {{"id", info.model_id}, {"object", "model"}, {"created", StartSeconds()}, {"owned_by", "imi"}};
}

json OllamaDetails(const batch::BackendInfo& info) {
  return {{"parent_model", ""},
          {"format", "onnx"},
          {"family", "sentence-transformers"},
          {"families", json::array({"sentence-transformers"})},
          {"parameter_size", ""},
          {"quantization_level", info.variant}};
}

json OllamaModel(const batch::BackendInfo& info) {
  return {{"name", info.model_id + ":latest"},
          {"model", info.model_id + ":latest"},
          {"modified_at", IsoTime(StartSeconds())},
          {"size", 0},
          {"digest", info.revision},
          {"details", OllamaDetails(info)}};
}

}  // namespace

Result<HttpResponse> HandleOpenAiModels(RouteContext& ctx, const HttpRequest&) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  const json out = {{"object", "list"}, {"data", json::array({OpenAiModel(service->backend().info())})}};
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleOpenAiModel(RouteContext& ctx, const HttpRequest&) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  const batch::BackendInfo& info = service->backend().info();
  const std::string id = ctx.params.empty() ? "" : ctx.params[0];
  if (id != info.model_id) {
    return Status::NotFound("the model '" + id + "' does not exist; this server serves '" + info.model_id + "'");
  }
  return JsonResponse(DumpJson(OpenAiModel(info)));
}

Result<HttpResponse> HandleOllamaTags(RouteContext& ctx, const HttpRequest&) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  return JsonResponse(DumpJson(json{{"models", json::array({OllamaModel(service->backend().info())})}}));
}

Result<HttpResponse> HandleOllamaPs(RouteContext& ctx, const HttpRequest&) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  json model = OllamaModel(service->backend().info());
  model.erase("modified_at");
  // Loaded for as long as the server runs: a year ahead stands for "never".
  model["expires_at"] = IsoTime(static_cast<int64_t>(std::time(nullptr)) + 365LL * 24 * 3600);
  model["size_vram"] = 0;
  return JsonResponse(DumpJson(json{{"models", json::array({std::move(model)})}}));
}

Result<HttpResponse> HandleOllamaShow(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  if (!model.has_value()) {
    // Older clients send "name".
    IMI_ASSIGN_OR_RETURN(model, ReadString(body, "name"));
  }
  if (!model.has_value()) return Status::InvalidArgument("'model' is required");
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  const batch::BackendInfo& info = service->backend().info();
  if (!SameOllamaName(*model, info.model_id)) {
    return Status::NotFound("model '" + *model + "' not found; this server serves '" + info.model_id + "'");
  }
  const json model_info = {{"general.architecture", "sentence-transformers"},
                           {"general.basename", info.model_id},
                           {"general.file_type", info.variant},
                           {"sentence-transformers.embedding_length", info.dimension},
                           {"sentence-transformers.context_length", info.max_seq_length},
                           {"sentence-transformers.pooling_type", info.pooling},
                           {"tokenizer.ggml.model", "huggingface"},
                           {"tokenizer.vocab_size", info.vocab_size}};
  const json out = {{"license", ""},
                    {"modelfile", ""},
                    {"parameters", ""},
                    {"template", ""},
                    {"details", OllamaDetails(info)},
                    {"model_info", model_info},
                    {"capabilities", json::array({"embedding"})},
                    {"modified_at", IsoTime(StartSeconds())}};
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleOllamaVersion(RouteContext& ctx, const HttpRequest&) {
  return JsonResponse(DumpJson(json{{"version", ctx.config.version}}));
}

}  // namespace imi::server
