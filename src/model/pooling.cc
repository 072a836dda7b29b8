#include "model/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace imi::model {

Result<PoolingMode> ParsePoolingMode(std::string_view name) {
  if (name == "mean" || name == "mean_tokens") return PoolingMode::kMean;
  if (name == "cls" || name == "cls_token") return PoolingMode::kCls;
  if (name == "max" || name == "max_tokens") return PoolingMode::kMax;
  if (name == "lasttoken") return PoolingMode::kLastToken;
  if (name == "mean_sqrt_len" || name == "mean_sqrt_len_tokens") return PoolingMode::kMeanSqrtLen;
  return Status::InvalidArgument("unknown pooling mode '" + std::string(name) +
                                 "': use mean, cls, max, lasttoken or mean_sqrt_len");
}

std::string_view PoolingModeName(PoolingMode mode) {
  switch (mode) {
    case PoolingMode::kMean:
      return "mean";
    case PoolingMode::kCls:
      return "cls";
    case PoolingMode::kMax:
      return "max";
    case PoolingMode::kLastToken:
      return "lasttoken";
    case PoolingMode::kMeanSqrtLen:
      return "mean_sqrt_len";
  }
  return "mean";
}

std::vector<std::vector<float>> PoolTokens(const float* tokens, int64_t batch, int64_t sequence,
                                           int64_t hidden, const std::vector<size_t>& lengths,
                                           PoolingMode mode) {
  std::vector<RowSpan> rows(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) rows[b].end = std::clamp<size_t>(lengths[b], 1, sequence);
  return PoolRows(tokens, batch, sequence, hidden, rows, mode);
}

std::vector<std::vector<float>> PoolRows(const float* tokens, int64_t batch, int64_t sequence, int64_t hidden,
                                         const std::vector<RowSpan>& rows, PoolingMode mode) {
  std::vector<std::vector<float>> out(batch, std::vector<float>(hidden));
  std::vector<double> acc(hidden);
  for (int64_t b = 0; b < batch; ++b) {
    const float* row = tokens + b * sequence * hidden;
    const size_t end = std::min<size_t>(rows[b].end, sequence);
    const size_t first = std::min(end, rows[b].begin + rows[b].skip);
    const size_t kept = end - first;
    std::vector<float>& v = out[b];
    switch (mode) {
      case PoolingMode::kCls:
        std::copy(row, row + hidden, v.begin());
        break;
      case PoolingMode::kLastToken:
        if (kept > 0) std::copy(row + (end - 1) * hidden, row + end * hidden, v.begin());
        break;
      case PoolingMode::kMax:
        std::fill(v.begin(), v.end(), kept > 0 ? -std::numeric_limits<float>::infinity() : -1e9f);
        for (size_t i = first; i < end; ++i) {
          for (int64_t h = 0; h < hidden; ++h) v[h] = std::max(v[h], row[i * hidden + h]);
        }
        break;
      case PoolingMode::kMean:
      case PoolingMode::kMeanSqrtLen: {
        if (kept == 0) break;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (size_t i = first; i < end; ++i) {
          for (int64_t h = 0; h < hidden; ++h) acc[h] += row[i * hidden + h];
        }
        const double div = mode == PoolingMode::kMean ? static_cast<double>(kept)
                                                      : std::sqrt(static_cast<double>(kept));
        for (int64_t h = 0; h < hidden; ++h) v[h] = static_cast<float>(acc[h] / div);
        break;
      }
    }
  }
  return out;
}

void L2Normalize(std::vector<float>* v) {
  double sum = 0;
  for (float x : *v) sum += static_cast<double>(x) * x;
  // torch.nn.functional.normalize divides by max(norm, 1e-12).
  const double norm = std::max(std::sqrt(sum), 1e-12);
  for (float& x : *v) x = static_cast<float>(x / norm);
}

Status FinishVector(std::vector<float>* v, size_t dimensions, bool normalize) {
  if (dimensions > 0) {
    if (dimensions > v->size()) {
      return Status::InvalidArgument("dimensions " + std::to_string(dimensions) +
                                     " exceeds the model's embedding size " +
                                     std::to_string(v->size()));
    }
    v->resize(dimensions);
  }
  if (normalize) L2Normalize(v);
  return Status::Ok();
}

}  // namespace imi::model
