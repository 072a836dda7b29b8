#ifndef IMI_MODEL_ORT_CACHE_H_
#define IMI_MODEL_ORT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mapped_file.h"
#include "base/result.h"

namespace imi::model {

// The cache of ONNX Runtime's optimised graphs in ORT format (docs/deploy.md,
// "Cold start"): creating a session from an .onnx file parses it, copies every
// weight and runs the graph optimisers; a session from the saved ORT-format
// graph skips the optimisers and uses the weights in place from a read-only
// memory mapping. One file per (model content, ONNX Runtime version, CPU), so
// a changed model, library or machine never reuses a stale graph.

// MappedFile and ContentHash64 live in base/mapped_file.h (the tokenizer
// cache uses them too); these names keep the model's callers unchanged.
using ::imi::ContentHash64;
using ::imi::MappedFile;

// The cache file for `model_path` in `cache_dir`:
// "<model file name>.<hash of content, size, ort_version, cpu>.ort".
// `cpu` names the instruction sets the optimised graph may depend on.
std::string OrtCacheFileName(std::string_view model_file_name, uint64_t content_hash, size_t size,
                             std::string_view ort_version, std::string_view cpu);

// Where a cache is looked for when the caller did not name a directory, in
// order: `<model dir>/.imi-cache` (also where an image bakes it, read-only is
// fine), $IMI_CACHE_DIR, $XDG_CACHE_HOME/imi/ort, $HOME/.cache/imi/ort. Only
// the directories that exist are listed; nothing is created.
std::vector<std::string> OrtCacheSearchDirs(const std::string& model_path);

// Where a new cache file is written when the caller did not name a directory:
// the first directory of OrtCacheSearchDirs' order that exists (or can be
// created) and can be written. Empty when none can.
std::string DefaultOrtCacheDir(const std::string& model_path);

}  // namespace imi::model

#endif  // IMI_MODEL_ORT_CACHE_H_
