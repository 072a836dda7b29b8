// `imi pull`: download a sentence-transformers model (one ONNX variant, the
// one this CPU runs best) from the Hugging Face hub into imi's model cache.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "convert/convert.h"
#include "hub/http_client.h"
#include "hub/pull.h"
#include "model/cpu_features.h"

namespace imi::cli {

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

void AddPullCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "pull",
      "Download a sentence-transformers model from the Hugging Face hub (pinned revision, only the\n"
      "ONNX variant this CPU needs; a repository with safetensors but no ONNX files is converted\n"
      "after download, as imi convert does) and print its directory");
  auto options = std::make_shared<hub::PullOptions>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("repo", options->repo,
                  std::string("Repository OWNER/NAME (default ") + hub::kDefaultRepo + " pinned at " +
                      hub::kDefaultRevision + ")");
  cmd->add_option("--revision", options->revision,
                  "Commit sha, branch or tag (default: the pin for the default model, else main, "
                  "resolved to a commit)");
  cmd->add_option("--variant", options->variant, "ONNX variant: auto, fp32, int8 or a file name")
      ->default_str("auto");
  cmd->add_option("--dir", options->cache_dir,
                  "Cache directory (default $IMI_HOME/models or ~/.cache/imi/models)");
  cmd->add_flag("--offline", options->offline, "Use the cache only, never the network");
  cmd->add_option("--endpoint", options->endpoint, "Hub URL (default $HF_ENDPOINT or https://huggingface.co)");
  cmd->add_flag("-q,--quiet", *quiet, "No progress or notes on stderr");
  cmd->footer(
      "Environment: HF_ENDPOINT (hub URL), HF_TOKEN (sent as a Bearer token to the hub's host only),\n"
      "IMI_HOME. The model directory printed on stdout is what `imi embed --model` reads.");
  cmd->callback([options, quiet, exit_code] {
    hub::PullOptions o = *options;
    if (o.endpoint.empty()) o.endpoint = EnvOr("HF_ENDPOINT", hub::kDefaultEndpoint);
    o.token = EnvOr("HF_TOKEN", "");
    o.progress = hub::DefaultProgressStyle();
    o.log = *quiet ? nullptr : stderr;
    std::unique_ptr<hub::HttpClient> http = hub::MakeCurlHttpClient();
    auto result = hub::Pull(o, http.get(), model::DetectCpuFeatures());
    if (result.ok() && result->needs_conversion) {
      // Safetensors only: convert in place (FP32 + this CPU's INT8 file).
      if (!*quiet) {
        std::fprintf(stderr, "imi pull: %s@%s has no ONNX files: converting its safetensors weights "
                     "(imi convert)\n", result->repo.c_str(), result->revision.c_str());
      }
      convert::ConvertOptions co;
      co.model_dir = result->model_dir;
      if (!*quiet) co.progress = [](const std::string& line) { std::fprintf(stderr, "imi pull: %s\n", line.c_str()); };
      const int downloaded = result->files_downloaded;
      auto converted = convert::ConvertModel(co, model::DetectCpuFeatures());
      if (!converted.ok()) {
        *exit_code = ReportError("pull", converted.status().WithContext("converting " + result->model_dir));
        return;
      }
      result = hub::RecordConversion(result->model_dir, converted->written, o.variant, model::DetectCpuFeatures());
      if (result.ok()) result->files_downloaded = downloaded;
    }
    if (!result.ok()) {
      *exit_code = ReportError("pull", result.status());
      return;
    }
    if (!*quiet) {
      std::fprintf(stderr, "imi pull: %s@%s: variant %s; %s\n", result->repo.c_str(),
                   result->revision.c_str(), result->variant.c_str(),
                   result->files_downloaded == 0
                       ? "already in the cache, nothing downloaded"
                       : (std::to_string(result->files_downloaded) + " file(s) downloaded").c_str());
    }
    std::printf("%s\n", result->model_dir.c_str());
    std::fflush(stdout);
    *exit_code = 0;
  });
}

}  // namespace imi::cli
