#ifndef IMI_HUB_PULL_H_
#define IMI_HUB_PULL_H_

#include <cstdio>
#include <string>
#include <vector>

#include "base/result.h"
#include "hub/http_client.h"
#include "hub/progress.h"
#include "model/cpu_features.h"

namespace imi::hub {

// The model `imi pull` fetches when no repository is named, and its pin.
inline constexpr char kDefaultRepo[] = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2";
inline constexpr char kDefaultRevision[] = "86741b4e3f5cb7765a600d3a3d55a0f6a6cb443d";
inline constexpr char kDefaultEndpoint[] = "https://huggingface.co";

struct PullOptions {
  std::string repo;        // "owner/name"; empty = kDefaultRepo
  std::string revision;    // commit sha, branch or tag; empty = the default pin, or "main"
  std::string variant = "auto";  // auto | fp32 | int8 | FILE (see model/variant.h)
  std::string cache_dir;   // parent of the model directories; empty = DefaultCacheDir()
  std::string endpoint;    // empty = kDefaultEndpoint
  std::string token;       // Bearer token for the endpoint's host, or empty
  bool offline = false;    // use the cache only; no network access at all
  ProgressStyle progress = ProgressStyle::kNone;
  int max_attempts = 4;      // per request; backoff 0.5 s, 1 s, 2 s
  int initial_backoff_ms = 500;
  std::FILE* log = stderr; // notes and progress; not owned; may be nullptr
};

struct PullResult {
  std::string repo;           // "owner/name" actually pulled
  std::string model_dir;      // the directory imi embed reads
  std::string revision;       // resolved 40-hex commit sha
  std::string variant;        // chosen ONNX file, repository-relative
  std::string variant_reason;
  int files_downloaded = 0;   // 0 when the cache was already complete
  // The revision has no ONNX files but safetensors weights, which were
  // downloaded instead: the caller converts them (imi convert) and then
  // calls RecordConversion. variant is empty until then.
  bool needs_conversion = false;
};

// $IMI_HOME/models, else $HOME/.cache/imi/models, else ./.imi/models.
std::string DefaultCacheDir();

// Directory of one repository revision inside `cache_dir`:
// <cache_dir>/<owner>--<name>@<commit>.
std::string ModelDirFor(const std::string& cache_dir, const std::string& repo, const std::string& commit);

// Fetches the files a sentence-transformers model needs (config, tokenizer,
// module configs, and the ONE ONNX variant chosen for `cpu`) into the cache
// and writes the manifest last. `http` is borrowed and unused when offline.
// Errors: InvalidArgument for a bad repo/revision/variant; NotFound for a
// missing repository, revision, required file or (offline) cache entry;
// FailedPrecondition for 401/403; Unavailable for network failures;
// DataLoss for a digest mismatch. Not thread-safe for the same cache entry.
Result<PullResult> Pull(const PullOptions& options, HttpClient* http, const model::CpuFeatures& cpu);

// After the ONNX files of a pulled safetensors-only revision were written
// into `dir` (absolute paths in `written`): adds them to the manifest
// (size, sha256, "converted_from": "safetensors"), chooses the variant for
// `variant` ("auto", "fp32", ...) and rewrites the manifest, so that the next
// pull of the revision is served from the cache. Errors as Pull.
Result<PullResult> RecordConversion(const std::string& dir, const std::vector<std::string>& written,
                                    const std::string& variant, const model::CpuFeatures& cpu);

}  // namespace imi::hub

#endif  // IMI_HUB_PULL_H_
