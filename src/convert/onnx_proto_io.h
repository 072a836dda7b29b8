#ifndef IMI_CONVERT_ONNX_PROTO_IO_H_
#define IMI_CONVERT_ONNX_PROTO_IO_H_

#include <cstdint>
#include <string>

#include "base/result.h"
#include "convert/graph.h"

namespace imi::convert {

struct OnnxWriteOptions {
  // When the initializers together exceed this many bytes, every initializer
  // of at least 1 KiB goes to one external data file `<model file>_data`
  // (ONNX's external data: location, offset, length; offsets 4 KiB aligned).
  // The default keeps the protobuf message below its 2 GiB limit.
  uint64_t external_data_threshold_bytes = 1800ull * 1000 * 1000;
};

// Writes `graph` as an ONNX ModelProto (IR version 8) to `path` through a
// temporary file renamed into place. IoError when the disk refuses.
Status WriteOnnx(const Graph& graph, const std::string& path, const OnnxWriteOptions& options = {});

// Reads an ONNX model into a Graph, external data included (locations are
// resolved next to `path` and may not leave its directory). NotFound for a
// missing file, DataLoss for a file that is not a valid ModelProto or whose
// tensors do not match their shapes, Unsupported for features imi does not
// rewrite (subgraphs, sparse or string tensors), naming the node or tensor.
Result<Graph> ReadOnnx(const std::string& path);

// Parses a serialized ModelProto held in memory (no external data). For the
// fuzzer and tests; errors as ReadOnnx.
Result<Graph> ParseOnnx(const std::string& bytes);

}  // namespace imi::convert

#endif  // IMI_CONVERT_ONNX_PROTO_IO_H_
