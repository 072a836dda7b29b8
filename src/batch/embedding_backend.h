#ifndef IMI_BATCH_EMBEDDING_BACKEND_H_
#define IMI_BATCH_EMBEDDING_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::batch {

// Outputs an inference may compute (bits of EmbedOptions::outputs): the
// dense vector, and bge-m3's lexical weights and ColBERT token vectors.
enum OutputBits : unsigned { kDenseOutput = 1u, kSparseOutput = 2u, kColbertOutput = 4u };

// Per-request choices that change how inputs are encoded or how vectors are
// computed. nullopt means "the model's default".
struct EmbedOptions {
  bool truncate = true;         // false: over-long input is Unprocessable
  bool truncate_left = false;   // drop tokens from the start instead of the end
  std::optional<std::string> prompt_name;  // a prompt configured by the model
  std::optional<bool> normalize;           // L2-normalise the pooled vector
  std::optional<size_t> dimensions;        // Matryoshka: keep the first N
  unsigned outputs = kDenseOutput;         // OutputBits to compute
  bool rerank = false;                     // the inputs are (query, text) pairs for the reranker

  // Inputs may share one inference call only when their keys are equal: the
  // key covers every option that the inference step (not encoding) reads.
  std::string InferKey() const;
};

// Token ids with weights, ids ascending (bge-m3's lexical weights).
struct SparseVector {
  std::vector<int32_t> indices;
  std::vector<float> values;
};

// rows x dim floats, row-major (ColBERT's token vectors).
struct TokenVectors {
  size_t dim = 0;
  std::vector<float> values;
  size_t rows() const { return dim == 0 ? 0 : values.size() / dim; }
};

// What inference gives one input: the dense vector (for a rerank pair, one
// value: the raw score), and the sparse / ColBERT outputs when asked for.
struct InferOutput {
  std::vector<float> vector;
  SparseVector sparse;
  TokenVectors colbert;
};

// One input after tokenisation, owned by the request that made it. Backends
// subclass it to carry their own encoded form.
class PreparedInput {
 public:
  virtual ~PreparedInput() = default;
  // Tokens fed to the model, special tokens included.
  virtual size_t num_tokens() const = 0;
  // True when the input was cut to the model's maximum length.
  virtual bool truncated() const = 0;
};

// One token as /tokenize reports it; start/end are byte offsets into the
// text (0, 0 for special tokens added by the post-processor).
struct TokenInfo {
  int32_t id = 0;
  std::string text;
  bool special = false;
  size_t start = 0;
  size_t end = 0;
};

// What the served model is; reported by /, /info and the start-up line.
struct BackendInfo {
  std::string model_id;
  std::string revision;
  std::string variant;
  std::string pooling;
  size_t dimension = 0;
  size_t max_seq_length = 0;
  size_t vocab_size = 0;
  bool normalize = false;
  int threads = 0;
  std::vector<std::string> prompt_names;
  unsigned outputs = kDenseOutput;  // OutputBits the model can compute
  std::string heads;                // where bge-m3's heads come from (empty: none)
  size_t colbert_dimension = 0;
};

// The reranker served beside the embedding model, if any.
struct RerankerInfo {
  std::string model_id;
  std::string revision;
  std::string variant;
  size_t max_length = 0;  // tokens per (query, text) pair
  bool sigmoid = true;    // the model's configured activation: sigmoid, else identity
};

// The embedding engine as the batcher and the server see it. Every method is
// const and may be called from many threads at once; implementations do not
// throw. Encode* run on HTTP threads, Infer on the batch worker.
class EmbeddingBackend {
 public:
  virtual ~EmbeddingBackend() = default;

  // Applies the prompt, tokenises and truncates one text. InvalidArgument for
  // invalid UTF-8; Unprocessable when too long and options.truncate is false.
  virtual Result<std::unique_ptr<PreparedInput>> Encode(std::string_view text,
                                                        const EmbedOptions& options) const = 0;

  // Wraps caller-supplied token ids (without special tokens) for inference.
  // Unprocessable for an id outside the vocabulary or, with truncate false,
  // too many ids.
  virtual Result<std::unique_ptr<PreparedInput>> EncodeTokens(const std::vector<int32_t>& ids,
                                                              const EmbedOptions& options) const = 0;

  // Encodes one (query, text) pair for the reranker (options.rerank).
  // Unsupported when no reranker is loaded; otherwise as Encode.
  virtual Result<std::unique_ptr<PreparedInput>> EncodePair(std::string_view query, std::string_view text,
                                                            const EmbedOptions& options) const {
    return Status::Unsupported("this server has no reranker; start imi serve with --reranker DIR");
  }

  // Runs the model (the reranker with options.rerank) on inputs this backend
  // encoded; returns one output per input in order. All inputs share
  // `options` (equal InferKey()). Unsupported for outputs the model lacks.
  virtual Result<std::vector<InferOutput>> Infer(const std::vector<const PreparedInput*>& batch,
                                                 const EmbedOptions& options) const = 0;

  // Tokens of one text, special tokens included when asked.
  virtual Result<std::vector<TokenInfo>> Tokenize(std::string_view text,
                                                  bool add_special_tokens) const = 0;

  virtual const BackendInfo& info() const = 0;
  // The reranker's information; nullptr when none is loaded.
  virtual const RerankerInfo* reranker() const { return nullptr; }
};

}  // namespace imi::batch

#endif  // IMI_BATCH_EMBEDDING_BACKEND_H_
