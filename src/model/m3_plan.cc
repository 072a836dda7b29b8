#include "model/m3_plan.h"

#include <algorithm>
#include <filesystem>

#include "tokenizer/tokenizer.h"

namespace imi::model {
namespace {

const OutputInfo* FindOutput(const OnnxSession& session, const std::string& name) {
  for (const OutputInfo& o : session.outputs()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

// FlagEmbedding drops the ids of the tokenizer's cls, eos, pad and unk tokens
// (those the tokenizer defines). Without special_tokens_map.json or
// tokenizer_config.json: the ids around an empty text, the config's pad id
// and the vocabulary's <unk> / [UNK].
std::unordered_set<int64_t> UnusedIds(const ModelDir& dir, const tokenizer::Tokenizer& tokenizer,
                                      const std::vector<int64_t>& frame) {
  std::unordered_set<int64_t> ids;
  if (!dir.special_tokens.empty()) {
    for (const char* role : {"cls_token", "eos_token", "pad_token", "unk_token"}) {
      auto it = dir.special_tokens.find(role);
      if (it == dir.special_tokens.end()) continue;
      if (auto id = tokenizer.TokenToId(it->second)) ids.insert(*id);
    }
    return ids;
  }
  ids.insert(frame.begin(), frame.end());
  ids.insert(dir.pad_token_id);
  for (const char* unk : {"<unk>", "[UNK]"}) {
    if (auto id = tokenizer.TokenToId(unk)) ids.insert(*id);
  }
  return ids;
}

}  // namespace

Result<M3Plan> PlanM3(const ModelDir& dir, const OnnxSession& session, const tokenizer::Tokenizer& tokenizer,
                      const std::vector<int64_t>& frame) {
  M3Plan plan;
  struct Layout {
    const char* dense;
    const char* sparse;
    const char* colbert;
  };
  for (const Layout& l : {Layout{"dense_vecs", "sparse_vecs", "colbert_vecs"},
                          Layout{"dense_embeddings", "sparse_weights", "colbert_vectors"}}) {
    const OutputInfo* sparse = FindOutput(session, l.sparse);
    const OutputInfo* colbert = FindOutput(session, l.colbert);
    if (sparse == nullptr && colbert == nullptr) continue;
    plan.source = M3Source::kOnnxOutputs;
    if (sparse != nullptr && (sparse->rank == 2 || (sparse->rank == 3 && sparse->last_dim <= 1))) {
      plan.sparse_output = l.sparse;
      plan.outputs |= kSparseOutput;
    }
    if (colbert != nullptr && colbert->rank == 3) {
      plan.colbert_output = l.colbert;
      plan.outputs |= kColbertOutput;
    }
    if (FindOutput(session, l.dense) != nullptr) plan.dense_output = l.dense;
    plan.description = "ONNX outputs";
    for (const std::string* name : {&plan.dense_output, &plan.sparse_output, &plan.colbert_output}) {
      if (!name->empty()) plan.description += " " + *name;
    }
    break;
  }
  if (plan.source == M3Source::kNone && !session.output_is_pooled()) {
    std::error_code ec;
    namespace fs = std::filesystem;
    if (fs::is_regular_file(fs::path(dir.root) / "sparse_linear.pt", ec) ||
        fs::is_regular_file(fs::path(dir.root) / "colbert_linear.pt", ec)) {
      const size_t hidden = session.output_hidden_size() > 0 ? static_cast<size_t>(session.output_hidden_size())
                                                              : static_cast<size_t>(std::max<int64_t>(0, dir.hidden_size));
      IMI_ASSIGN_OR_RETURN(M3Heads heads, M3Heads::Load(dir.root, hidden));
      plan.source = M3Source::kTorchHeads;
      if (heads.has_sparse()) {
        plan.outputs |= kSparseOutput;
        plan.description = "sparse_linear.pt";
      }
      if (heads.has_colbert()) {
        plan.outputs |= kColbertOutput;
        plan.description += std::string(plan.description.empty() ? "" : ", ") + "colbert_linear.pt";
      }
      plan.heads = std::move(heads);
    }
  }
  if (plan.outputs & kSparseOutput) plan.unused_ids = UnusedIds(dir, tokenizer, frame);
  return plan;
}

}  // namespace imi::model
