// Fuzzes the safetensors header validation and the float conversion of every
// tensor a valid header describes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "convert/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto f = imi::convert::SafetensorsFile::FromBuffer(bytes, "fuzz");
  if (!f.ok()) return 0;
  for (const auto& [name, t] : (*f)->tensors()) {
    auto v = imi::convert::ToFloat32(t);
    (void)v;
  }
  return 0;
}
