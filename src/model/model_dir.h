#ifndef IMI_MODEL_MODEL_DIR_H_
#define IMI_MODEL_MODEL_DIR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/pooling.h"

namespace imi::model {

// What a model directory says about itself. Read once at load; a plain value.
struct ModelDir {
  std::string root;            // the directory
  std::string tokenizer_path;  // tokenizer.json to load
  // ONNX files relative to root ("onnx/model.onnx", or "model.onnx" in the bare layout).
  std::vector<std::string> onnx_files;
  std::string model_id;  // "repo" of imi-pull.json (written by imi pull) when present, else the directory name
  std::string revision;  // empty when unknown

  // config.json (0 / empty when the bare layout has none).
  std::string model_type;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t pad_token_id = 0;

  // sentence-transformers modules.
  PoolingMode pooling = PoolingMode::kMean;  // mean when there is no Pooling module
  bool include_prompt = true;  // false: prompt tokens are left out of pooling
  // tokenizer_config.json says "padding_side": "left", as decoder-style
  // embedders do; imi then left-pads its batches too. (A "padding" object in
  // tokenizer.json decides instead: the Embedder reads it from the loaded
  // tokenizer, EmbedderInfo::pad_left.)
  bool pad_left = false;
  bool normalize = false;                    // a Normalize module is listed
  std::optional<size_t> max_seq_length;      // sentence_bert_config.json
  bool do_lower_case = false;
  std::map<std::string, std::string> prompts;
  std::optional<std::string> default_prompt_name;

  // special_tokens_map.json (else tokenizer_config.json): role -> token text,
  // e.g. "cls_token" -> "<s>". Empty when neither file names any.
  std::map<std::string, std::string> special_tokens;

  // Longest input the position table allows: max_position_embeddings, less
  // padding_idx + 1 for XLM-RoBERTa (positions start after the pad id); 0 if unknown.
  size_t PositionLimit() const;
};

// Reads a sentence-transformers directory, or the bare layout: `path` is an
// .onnx file (or a directory holding one) with tokenizer.json beside it, or
// `tokenizer_path` (a tokenizer.json or a directory with one) given
// separately. NotFound names the missing tokenizer.json / ONNX file;
// InvalidArgument for malformed JSON; Unsupported for pooling set-ups imi does
// not implement (several modes at once, weighted mean).
Result<ModelDir> LoadModelDir(const std::string& path, const std::string& tokenizer_path = "");

}  // namespace imi::model

#endif  // IMI_MODEL_MODEL_DIR_H_
