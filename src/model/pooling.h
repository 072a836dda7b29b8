#ifndef IMI_MODEL_POOLING_H_
#define IMI_MODEL_POOLING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::model {

// sentence-transformers' pooling modes.
enum class PoolingMode { kMean, kCls, kMax, kLastToken, kMeanSqrtLen };

// Accepts mean, cls, max, lasttoken, mean_sqrt_len and the sentence-transformers
// spellings (mean_tokens, cls_token, max_tokens, mean_sqrt_len_tokens).
// InvalidArgument lists the valid names otherwise.
Result<PoolingMode> ParsePoolingMode(std::string_view name);
std::string_view PoolingModeName(PoolingMode mode);

// Pools token embeddings [batch, sequence, hidden] (row-major) of a
// right-padded batch; lengths[b] is the number of real tokens of row b
// (1..sequence). Sums in double. Pure function.
std::vector<std::vector<float>> PoolTokens(const float* tokens, int64_t batch, int64_t sequence,
                                           int64_t hidden, const std::vector<size_t>& lengths,
                                           PoolingMode mode);

// Where one row's tokens lie in a padded batch row: real tokens occupy
// [begin, end) (right padding: begin 0; left padding: end == sequence);
// pooling leaves out the first `skip` real tokens (the prompt, when the
// Pooling module says include_prompt: false).
struct RowSpan {
  size_t begin = 0;
  size_t end = 0;
  size_t skip = 0;
};

// Pools as sentence-transformers' Pooling does with the attention mask those
// spans describe: cls takes position 0 of the padded row; mean, max,
// mean_sqrt_len and lasttoken use the kept tokens [begin + skip, end); with
// none kept, mean/mean_sqrt_len/lasttoken give a zero vector and max -1e9
// (sentence-transformers' fill value). Sums in double. Pure function.
std::vector<std::vector<float>> PoolRows(const float* tokens, int64_t batch, int64_t sequence, int64_t hidden,
                                         const std::vector<RowSpan>& rows, PoolingMode mode);

// Scales to unit L2 norm (a zero vector stays zero, as torch's normalize).
void L2Normalize(std::vector<float>* v);

// Matryoshka: keeps the first `dimensions` components (0 keeps all), then
// L2-normalises when `normalize` is set. InvalidArgument when `dimensions`
// exceeds the vector's size.
Status FinishVector(std::vector<float>* v, size_t dimensions, bool normalize);

}  // namespace imi::model

#endif  // IMI_MODEL_POOLING_H_
