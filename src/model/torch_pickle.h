#ifndef IMI_MODEL_TORCH_PICKLE_H_
#define IMI_MODEL_TORCH_PICKLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace imi::model {

// Element types of the storages a state dict may name.
enum class TorchDtype { kFloat32, kFloat16, kBFloat16, kFloat64 };

// Bytes per element of a storage type.
size_t TorchDtypeSize(TorchDtype dtype);

// One tensor as data.pkl describes it: a strided view of a storage whose
// bytes are the archive record "<prefix>/data/<storage_key>". Sizes, strides
// and offset count elements; they are not yet checked against the storage.
struct PickledTensor {
  std::string storage_key;
  TorchDtype dtype = TorchDtype::kFloat32;
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

// Interprets the data.pkl of `torch.save(module.state_dict())`: pickle
// protocol 2 (what torch writes) whose top object is a dict or
// collections.OrderedDict of name -> tensor, tensors being
// torch._utils._rebuild_tensor_v2 (or _rebuild_parameter) of a storage given
// as a persistent id ("storage", torch.<Type>Storage, key, location, numel).
// Only those globals are allowed (no code runs); any other opcode, global,
// protocol or shape of data is InvalidArgument/Unsupported naming it. The
// work is bounded by the input's size. Pure function.
Result<std::vector<std::pair<std::string, PickledTensor>>> ParseStateDictPickle(std::string_view pickle);

}  // namespace imi::model

#endif  // IMI_MODEL_TORCH_PICKLE_H_
