#ifndef IMI_HUB_MANIFEST_H_
#define IMI_HUB_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace imi::hub {

// File name of the manifest inside a pulled model directory (docs/pull.md).
inline constexpr char kManifestFileName[] = "imi-pull.json";
inline constexpr int kManifestVersion = 1;

struct ManifestFile {
  std::string path;    // inside the model directory; the repository path too, except
                       // onnx/tokenizer.json, which is stored as tokenizer.json
  uint64_t size = 0;   // bytes
  std::string sha256;  // lowercase hex of the content
  std::string etag;    // the hub's ETag when downloaded (sha256 for LFS, git blob sha1 otherwise)
};

// What `imi pull` wrote into a model directory; written last, so its
// presence means the directory is complete.
struct Manifest {
  std::string repo;
  std::string revision;            // 40-hex commit sha
  std::string requested_revision;  // as given (branch, tag or sha)
  std::string endpoint;
  std::string variant;             // chosen ONNX file, repository-relative
  std::string variant_reason;
  std::vector<std::string> onnx_files;        // every .onnx file the revision has (or imi convert wrote)
  std::string converted_from;                 // "safetensors" when imi pull converted; empty otherwise
  std::vector<std::string> missing_optional;  // optional files the revision lacks
  std::vector<ManifestFile> files;

  // The entry for `path`, or nullptr.
  const ManifestFile* Find(const std::string& path) const;
};

// Serialises to JSON (format "imi-pull-manifest", version kManifestVersion).
std::string ManifestToJson(const Manifest& manifest);

// Parses ManifestToJson output. DataLoss naming `source` when malformed or of
// another format/version.
Result<Manifest> ManifestFromJson(const std::string& json, const std::string& source);

}  // namespace imi::hub

#endif  // IMI_HUB_MANIFEST_H_
