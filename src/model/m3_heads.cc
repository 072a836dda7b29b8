#include "model/m3_heads.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "model/torch_state_dict.h"

namespace imi::model {
namespace {

// Reads one Linear's weight [out, in] and bias [out].
Status ReadLinear(const std::string& path, size_t hidden, std::vector<float>* weight, std::vector<float>* bias) {
  IMI_ASSIGN_OR_RETURN(auto sd, ReadTorchStateDictFile(path));
  auto w = sd.find("weight");
  auto b = sd.find("bias");
  if (w == sd.end() || b == sd.end()) {
    return Status::InvalidArgument(path + " is not the state dict of a Linear layer (needs 'weight' and 'bias')");
  }
  const FloatTensor& wt = w->second;
  const FloatTensor& bt = b->second;
  if (wt.shape.size() != 2 || bt.shape.size() != 1 || wt.shape[0] != bt.shape[0] ||
      static_cast<size_t>(wt.shape[1]) != hidden || wt.shape[0] == 0) {
    std::string shape;
    for (int64_t d : wt.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    return Status::InvalidArgument(path + ": weight [" + shape + "] does not take the model's hidden size " +
                                   std::to_string(hidden));
  }
  *weight = wt.values;
  *bias = bt.values;
  return Status::Ok();
}

// Dot products of one weight row with a block of up to 8 token rows. Eight
// independent partial sums per token let the compiler vectorise the loop
// without changing float semantics between runs.
constexpr size_t kBlock = 8;

}  // namespace

Result<M3Heads> M3Heads::Load(const std::string& root, size_t hidden) {
  namespace fs = std::filesystem;
  M3Heads heads;
  heads.hidden_ = hidden;
  std::error_code ec;
  const std::string sparse = (fs::path(root) / "sparse_linear.pt").string();
  const std::string colbert = (fs::path(root) / "colbert_linear.pt").string();
  const bool has_sparse = fs::is_regular_file(sparse, ec);
  const bool has_colbert = fs::is_regular_file(colbert, ec);
  if (!has_sparse && !has_colbert) return Status::NotFound("no sparse_linear.pt or colbert_linear.pt in " + root);
  if (hidden == 0) return Status::InvalidArgument("the model's hidden size is unknown (config.json hidden_size)");
  if (has_sparse) {
    std::vector<float> bias;
    IMI_RETURN_IF_ERROR(ReadLinear(sparse, hidden, &heads.sparse_weight_, &bias));
    if (bias.size() != 1) {
      return Status::InvalidArgument(sparse + ": sparse_linear has " + std::to_string(bias.size()) +
                                     " outputs; bge-m3's has one");
    }
    heads.sparse_bias_ = bias[0];
  }
  if (has_colbert) IMI_RETURN_IF_ERROR(ReadLinear(colbert, hidden, &heads.colbert_weight_, &heads.colbert_bias_));
  return heads;
}

std::vector<float> M3Heads::TokenWeights(const float* tokens, size_t length) const {
  std::vector<float> out(length, 0.0f);
  if (!has_sparse()) return out;
  for (size_t t = 0; t < length; ++t) {
    const float* h = tokens + t * hidden_;
    double sum = sparse_bias_;
    for (size_t k = 0; k < hidden_; ++k) sum += static_cast<double>(h[k]) * sparse_weight_[k];
    out[t] = static_cast<float>(std::max(sum, 0.0));
  }
  return out;
}

MultiVector M3Heads::Colbert(const float* tokens, size_t length) const {
  MultiVector out;
  out.dim = colbert_dim();
  if (!has_colbert() || length < 2) return out;
  const size_t rows = length - 1;
  out.values.assign(rows * out.dim, 0.0f);
  for (size_t t0 = 0; t0 < rows; t0 += kBlock) {
    const size_t n = std::min(kBlock, rows - t0);
    for (size_t c = 0; c < out.dim; ++c) {
      const float* w = colbert_weight_.data() + c * hidden_;
      for (size_t i = 0; i < n; ++i) {
        const float* h = tokens + (t0 + i + 1) * hidden_;  // +1: the rows after CLS
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t k = 0;
        for (; k + 8 <= hidden_; k += 8) {
          for (size_t l = 0; l < 8; ++l) lanes[l] += h[k + l] * w[k + l];
        }
        double sum = colbert_bias_[c];
        for (; k < hidden_; ++k) sum += static_cast<double>(h[k]) * w[k];
        for (float lane : lanes) sum += lane;
        out.values[(t0 + i) * out.dim + c] = static_cast<float>(sum);
      }
    }
  }
  return NormalizedRows(out.values.data(), rows, out.dim);
}

SparseEmbedding SparseFromTokenWeights(const float* weights, const int64_t* ids, size_t length,
                                       const std::unordered_set<int64_t>& unused) {
  std::map<int64_t, float> best;
  for (size_t i = 0; i < length; ++i) {
    if (!(weights[i] > 0) || unused.count(ids[i]) > 0) continue;
    float& w = best[ids[i]];
    w = std::max(w, weights[i]);
  }
  SparseEmbedding out;
  out.ids.reserve(best.size());
  out.weights.reserve(best.size());
  for (const auto& [id, w] : best) {
    out.ids.push_back(static_cast<int32_t>(id));
    out.weights.push_back(w);
  }
  return out;
}

MultiVector NormalizedRows(const float* rows, size_t count, size_t dim) {
  MultiVector out;
  out.dim = dim;
  out.values.assign(rows, rows + count * dim);
  for (size_t r = 0; r < count; ++r) {
    float* v = out.values.data() + r * dim;
    double sum = 0;
    for (size_t k = 0; k < dim; ++k) sum += static_cast<double>(v[k]) * v[k];
    const double norm = std::max(std::sqrt(sum), 1e-12);
    for (size_t k = 0; k < dim; ++k) v[k] = static_cast<float>(v[k] / norm);
  }
  return out;
}

}  // namespace imi::model
