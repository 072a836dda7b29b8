// Fuzzes the ONNX reader (protobuf parse + conversion to convert::Graph) and
// the quantiser on whatever graph it accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "convert/onnx_proto_io.h"
#include "convert/quantize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto g = imi::convert::ParseOnnx(std::string(reinterpret_cast<const char*>(data), size));
  if (!g.ok()) return 0;
  imi::convert::QuantizeOptions o;
  o.activations = size % 2 ? imi::convert::ActivationQuant::kPerRow : imi::convert::ActivationQuant::kPerTensor;
  auto q = imi::convert::QuantizeGraph(*g, o, nullptr);
  (void)q;
  return 0;
}
