#ifndef IMI_MODEL_ONNX_SESSION_H_
#define IMI_MODEL_ONNX_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace imi::model {

struct OnnxSessionOptions {
  std::string model_path;     // an .onnx file (external data next to it is found by ORT)
  int intra_op_threads = 0;   // 0: one per hardware thread
  // empty: last_hidden_state, token_embeddings, sentence_embedding, then the
  // dense output of a bge-m3 export (dense_vecs, dense_embeddings)
  std::string output_name;
  // Optimised-graph cache (model/ort_cache.h): "off" (none); "auto" (use a
  // cached graph from OrtCacheSearchDirs if there is one, never write);
  // "write" (use one, or create one in DefaultOrtCacheDir); or a directory
  // (use one there, or create it there).
  std::string cache = "off";
};

// What Open did, for start-up messages and bench/README.md.
struct SessionLoadInfo {
  std::string cache_file;   // empty: no cache used
  bool cache_hit = false;   // the session came from the cached graph
  std::string cache_note;   // why the cache was not used or not written, if so
  double hash_ms = 0;       // hashing the model file for the cache key
  double session_ms = 0;    // creating the ONNX Runtime session
};

// One padded batch, row-major [batch, sequence]; right padding, mask 1 on tokens.
struct SessionInputs {
  int64_t batch = 0;
  int64_t sequence = 0;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;  // fed only when the model has that input
};

// The chosen output, copied out of ONNX Runtime: shape is [batch, sequence,
// hidden] for token embeddings or [batch, hidden] for pooled ones.
struct SessionOutput {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// One output of the graph as declared: its rank and last dimension (0 when
// symbolic). Only float32 outputs are listed.
struct OutputInfo {
  std::string name;
  size_t rank = 0;
  int64_t last_dim = 0;
};

// The ONNX Runtime adapter: the only code in imi that includes ONNX Runtime
// headers. One session, graph optimisation at ORT's "extended" level (the
// fusions; the "all" level only adds layout changes for convolutions, and a
// graph saved at "extended" runs on any CPU of the architecture); Run is const
// and may be called from many threads at once (ONNX Runtime's Run is
// thread-safe). With a cache, the optimised graph is saved in ORT format
// (when the cache setting allows writing) and later sessions run from a
// read-only mapping of it.
// Every ONNX Runtime error or exception comes back as a Status; a cache that
// cannot be read or written is a note, never an error.
class OnnxSession {
 public:
  // Loads the model and discovers its inputs (input_ids, attention_mask,
  // token_type_ids, position_ids; anything else is InvalidArgument naming it)
  // and output. NotFound when the file or a named output is missing;
  // DataLoss when ONNX Runtime cannot parse the file.
  static Result<std::unique_ptr<OnnxSession>> Open(const OnnxSessionOptions& options);
  ~OnnxSession();
  OnnxSession(const OnnxSession&) = delete;
  OnnxSession& operator=(const OnnxSession&) = delete;

  // Runs one batch. InvalidArgument for inconsistent input sizes; Internal
  // for a failure inside ONNX Runtime (the message carries its text).
  Result<SessionOutput> Run(const SessionInputs& inputs) const;
  // Runs one batch and returns the named outputs (float32, names from
  // outputs()) in the order asked. Same errors as Run.
  Result<std::vector<SessionOutput>> RunOutputs(const SessionInputs& inputs,
                                                const std::vector<std::string>& names) const;

  const std::vector<std::string>& input_names() const;
  // Every float32 output of the graph.
  const std::vector<OutputInfo>& outputs() const;
  const std::string& output_name() const;
  // True when the output is already pooled ([batch, hidden]).
  bool output_is_pooled() const;
  // Hidden size from the output's static shape, or 0 when it is symbolic.
  int64_t output_hidden_size() const;
  int intra_op_threads() const;
  const SessionLoadInfo& load_info() const;

 private:
  struct Impl;
  explicit OnnxSession(std::unique_ptr<Impl> impl);
  static void OpenWithCache(const OnnxSessionOptions& options, Impl* impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imi::model

#endif  // IMI_MODEL_ONNX_SESSION_H_
