#ifndef IMI_MODEL_TORCH_STATE_DICT_H_
#define IMI_MODEL_TORCH_STATE_DICT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace imi::model {

// A tensor read from a state dict: row-major (contiguous) float32 values.
struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// The file format read here, and why imi reads it itself: docs/models.md
// ("PyTorch .pt heads").

// Reads the bytes of `torch.save(module.state_dict(), f)` as torch >= 1.6
// writes it: a zip archive of stored records "<prefix>/data.pkl" (pickle
// protocol 2, see torch_pickle.h), "<prefix>/data/<key>" (storages) and
// optionally "<prefix>/byteorder" (must say little). Float32, float16,
// bfloat16 and float64 storages are converted to float32; any strided view
// inside its storage is gathered into a contiguous tensor. `source` names the
// file in messages. Unsupported for the legacy (pre-1.6) format, TorchScript
// archives, big-endian data and other storage types; DataLoss for a damaged
// archive or a tensor outside its storage; InvalidArgument for a data.pkl that
// is not a state dict. Pure function.
Result<std::map<std::string, FloatTensor>> ReadTorchStateDict(std::string_view bytes, const std::string& source);

// Reads a .pt file (at most 1 GiB) with ReadTorchStateDict. NotFound when it
// does not exist; TooLarge over the limit.
Result<std::map<std::string, FloatTensor>> ReadTorchStateDictFile(const std::string& path);

}  // namespace imi::model

#endif  // IMI_MODEL_TORCH_STATE_DICT_H_
