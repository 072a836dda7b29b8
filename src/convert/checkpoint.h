#ifndef IMI_CONVERT_CHECKPOINT_H_
#define IMI_CONVERT_CHECKPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "convert/graph.h"
#include "convert/safetensors.h"

namespace imi::convert {

// The weights of a Hugging Face model directory: `model.safetensors`, or the
// shards named by `model.safetensors.index.json` ("weight_map"), with the
// name prefix the checkpoint uses ("", "model.", "bert.", "roberta.", ...)
// found once and stripped. Immutable after Open; thread-safe const methods.
class Checkpoint {
 public:
  // NotFound when the directory has neither file (the message says that
  // pytorch_model.bin is not read); DataLoss for a malformed file or an index
  // naming a tensor its shard lacks.
  static Result<std::unique_ptr<Checkpoint>> Open(const std::string& dir);

  // Chooses the first of `prefixes` under which `probe` exists (e.g.
  // "embeddings.word_embeddings.weight"). NotFound lists what was tried.
  Status ResolvePrefix(const std::vector<std::string>& prefixes, const std::string& probe);
  const std::string& prefix() const { return prefix_; }

  // True when prefix + name exists.
  bool Has(const std::string& name) const;
  // The tensor prefix + name converted to float32 with exactly `dims`.
  // NotFound ("missing tensor 'X' in DIR"), InvalidArgument for another shape.
  Result<Tensor> Float(const std::string& name, const std::vector<int64_t>& dims) const;
  // A [out, in] PyTorch Linear weight transposed to the [in, out] MatMul layout.
  Result<Tensor> LinearWeight(const std::string& name, int64_t out, int64_t in) const;

  // Every tensor name (with prefix) across the files.
  std::vector<std::string> Names() const;
  const std::string& dir() const { return dir_; }
  // Files read, relative to dir (for messages).
  std::vector<std::string> Files() const;

 private:
  Checkpoint() = default;
  const StTensor* Lookup(const std::string& full_name) const;

  std::string dir_;
  std::string prefix_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
};

}  // namespace imi::convert

#endif  // IMI_CONVERT_CHECKPOINT_H_
