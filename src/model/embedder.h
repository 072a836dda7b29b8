#ifndef IMI_MODEL_EMBEDDER_H_
#define IMI_MODEL_EMBEDDER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/m3.h"
#include "model/pooling.h"
#include "model/variant.h"
#include "tokenizer/tokenizer.h"

namespace imi::model {

class OnnxSession;
struct M3Plan;

// How to load a model. Only model_path is required.
struct EmbedderConfig {
  std::string model_path;      // sentence-transformers dir, or a bare .onnx file
  std::string tokenizer_path;  // bare layout: tokenizer.json or its directory
  VariantRequest variant;      // auto: best INT8 for this CPU, else FP32
  int threads = 0;             // ONNX Runtime intra-op threads; 0: one per hardware thread
  std::string output_name;     // empty: last_hidden_state / token_embeddings / sentence_embedding / dense_vecs
  std::optional<PoolingMode> pooling;     // overrides 1_Pooling/config.json
  std::optional<bool> normalize;          // overrides the Normalize module
  std::optional<size_t> max_seq_length;   // overrides sentence_bert_config.json, up to the position limit
  size_t max_batch_tokens = 1024;  // padded tokens per ONNX run inside Embed (bench/README.md: small batches run faster)
  // optimised-graph and tokenizer cache: off, auto (read), write or a directory
  // (model/onnx_session.h, tokenizer/tokenizer_cache.h)
  std::string ort_cache = "off";
};

// Per-call options.
struct EmbedOptions {
  std::optional<std::string> prompt_name;  // a key of the model's prompts
  std::optional<std::string> prompt;       // literal text put before each input
  size_t dimensions = 0;                   // Matryoshka truncation; 0 keeps the model's size
  bool truncate = true;                    // false: inputs over max_seq_length are Unprocessable
};

// One tokenised input, ready for Infer.
struct EncodedInput {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;
  size_t token_count = 0;  // tokens after truncation, special tokens included
  size_t prompt_tokens = 0;  // leading tokens pooling leaves out (include_prompt: false)
  bool truncated = false;
};

struct SessionInputs;

// Lays `batch` (not empty) out as one padded model input in `in`: ids with
// `pad_id` in the padding, the attention mask, token types when
// `token_types`, each row padded on the left when `pad_left`. Returns the
// span of each row's tokens (what pooling reads); InvalidArgument when every
// input is empty.
Result<std::vector<RowSpan>> PadBatch(const std::vector<const EncodedInput*>& batch, int64_t pad_id,
                                      bool token_types, bool pad_left, SessionInputs* in);

struct EmbedResult {
  std::vector<std::vector<float>> vectors;  // dense, in the caller's order (when asked for)
  std::vector<SparseEmbedding> sparse;      // when asked for
  std::vector<MultiVector> colbert;         // when asked for
  std::vector<size_t> token_counts;
  std::vector<bool> truncated;
};

// What was loaded, for start-up messages and the HTTP API.
struct ModelInfo {
  std::string id;
  std::string revision;  // empty when unknown
  std::string root;
  std::string variant_file;
  std::string variant_reason;
  bool quantized = false;
  std::string architecture;  // config.json model_type
  size_t dimension = 0;
  size_t max_seq_length = 0;
  size_t position_limit = 0;  // largest max_seq_length the model allows (0: unknown)
  int64_t vocab_size = 0;
  PoolingMode pooling = PoolingMode::kMean;
  bool include_prompt = true;  // false: pooling leaves the prompt's tokens out
  bool pad_left = false;       // batches are padded on the left (the tokenizer's padding side)
  bool normalize = false;
  std::map<std::string, std::string> prompts;
  std::optional<std::string> default_prompt_name;
  int threads = 0;
  std::string output_name;
  double load_ms = 0;
  // bge-m3: the outputs this model gives (dense always; sparse and colbert
  // with bge-m3's heads), where the heads come from, and ColBERT's width.
  OutputSet outputs = kDenseOutput;
  std::string heads;  // e.g. "sparse_linear.pt, colbert_linear.pt"; empty without
  size_t colbert_dimension = 0;
  // Where load_ms went: model directory + tokenizer.json, hashing the model
  // for the cache key, ONNX Runtime session; and the optimised-graph cache.
  double tokenizer_ms = 0;
  double hash_ms = 0;
  double session_ms = 0;
  bool cache_hit = false;
  std::string cache_file;
  std::string cache_note;
  // The binary tokenizer cache (tokenizer/tokenizer_cache.h) in the same
  // directory: loaded from it, the file read or written, why not.
  bool tokenizer_cache_hit = false;
  std::string tokenizer_cache_file;
  std::string tokenizer_cache_note;
};

// Text in, sentence-transformers vectors out. All const methods are
// thread-safe and share one ONNX Runtime session.
class Embedder {
 public:
  // Reads the model directory, chooses the ONNX variant, loads tokenizer and
  // session. Errors: NotFound (no tokenizer.json / ONNX file / variant),
  // InvalidArgument (unexpected model inputs, bad overrides), Unsupported.
  static Result<std::unique_ptr<Embedder>> Load(const EmbedderConfig& config);
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  // Applies the prompt, tokenises and truncates to max_seq_length.
  // InvalidArgument: invalid UTF-8, unknown prompt name, ids beyond the
  // model's vocabulary. Unprocessable: too long with truncate=false.
  Result<EncodedInput> Encode(std::string_view text, const EmbedOptions& options) const;

  // Pads the batch to its longest input, runs the model once, pools,
  // normalises and truncates to options.dimensions. Vectors in batch order.
  Result<std::vector<std::vector<float>>> Infer(const std::vector<const EncodedInput*>& batch,
                                                const EmbedOptions& options) const;

  // Like Infer, for any of the model's outputs (info().outputs) in one run:
  // dense as Infer gives it, bge-m3's sparse weights and ColBERT vectors
  // (model/m3.h). Unsupported when an output is asked that the model lacks.
  Result<std::vector<TextOutputs>> InferOutputs(const std::vector<const EncodedInput*>& batch,
                                                const EmbedOptions& options, OutputSet outputs) const;

  // Encodes all texts, orders them by length, cuts batches by
  // max_batch_tokens (padded), infers, and returns results in input order.
  Result<EmbedResult> Embed(const std::vector<std::string>& texts, const EmbedOptions& options,
                            OutputSet outputs = kDenseOutput) const;

  const ModelInfo& info() const { return info_; }

  // The model's tokenizer, without truncation or padding (thread-safe,
  // const), for callers that tokenise for other purposes (/tokenize).
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  Embedder();

  ModelInfo info_;
  size_t max_batch_tokens_ = 1024;
  bool feeds_token_types_ = false;
  int64_t pad_id_ = 0;
  // Two tokenizers so that truncation can be detected without mutating
  // shared state: one without truncation, one truncating to max_seq_length.
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<tokenizer::Tokenizer> truncating_tokenizer_;
  std::unique_ptr<OnnxSession> session_;
  std::unique_ptr<M3Plan> m3_;
};

}  // namespace imi::model

#endif  // IMI_MODEL_EMBEDDER_H_
