#ifndef IMI_MODEL_M3_PLAN_H_
#define IMI_MODEL_M3_PLAN_H_

// Internal to the embedder: how a loaded model yields bge-m3's sparse and
// ColBERT outputs, if at all. Read-only after PlanM3.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "base/result.h"
#include "model/m3_heads.h"
#include "model/model_dir.h"
#include "model/onnx_session.h"

namespace imi::tokenizer {
class Tokenizer;
}

namespace imi::model {

enum class M3Source {
  kNone,         // a plain encoder: dense only
  kTorchHeads,   // hidden states + sparse_linear.pt / colbert_linear.pt (BAAI/bge-m3's layout)
  kOnnxOutputs,  // the graph outputs dense, sparse and ColBERT itself (community exports)
};

struct M3Plan {
  M3Source source = M3Source::kNone;
  OutputSet outputs = kDenseOutput;
  // kOnnxOutputs: the graph's output names (dense may be empty: then the
  // session's chosen output gives dense).
  std::string dense_output;
  std::string sparse_output;
  std::string colbert_output;
  std::optional<M3Heads> heads;           // kTorchHeads
  std::unordered_set<int64_t> unused_ids;  // left out of sparse weights
  std::string description;                // for ModelInfo::heads
};

// Looks for the heads of either layout. The ONNX output layouts accepted:
// (dense_vecs, sparse_vecs, colbert_vecs) as aapot/bge-m3-onnx and
// gpahal/bge-m3-onnx-int8 name them, and (dense_embeddings, sparse_weights,
// colbert_vectors) as yuniko-software/bge-m3-onnx does. `frame` holds the
// ids the post-processor puts around an empty text. Errors: a .pt head that
// cannot be read or does not fit the model.
Result<M3Plan> PlanM3(const ModelDir& dir, const OnnxSession& session, const tokenizer::Tokenizer& tokenizer,
                      const std::vector<int64_t>& frame);

}  // namespace imi::model

#endif  // IMI_MODEL_M3_PLAN_H_
