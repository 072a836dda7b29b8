#ifndef IMI_CONVERT_GRAPH_H_
#define IMI_CONVERT_GRAPH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace imi::convert {

// Element types imi writes and reads (values are ONNX TensorProto.DataType).
enum class DType : int32_t {
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
  kFloat16 = 10,
  kBFloat16 = 16,
};

// Bytes per element; 0 for a type imi does not know.
size_t DTypeSize(DType type);
const char* DTypeName(DType type);

// A constant tensor (an ONNX initializer): little-endian raw bytes, row-major.
// A plain value; large tensors are moved, never copied, by the builders.
struct Tensor {
  DType dtype = DType::kFloat;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // ElementCount() * DTypeSize(dtype) bytes

  int64_t ElementCount() const;
  // Typed views; the caller checks dtype first.
  const float* floats() const { return reinterpret_cast<const float*>(data.data()); }
  float* floats() { return reinterpret_cast<float*>(data.data()); }

  static Tensor Floats(std::vector<int64_t> dims, const std::vector<float>& values);
  static Tensor Zeros(DType dtype, std::vector<int64_t> dims);
  static Tensor ScalarFloat(float v);
  static Tensor ScalarInt64(int64_t v);
  static Tensor Int64s(const std::vector<int64_t>& values);  // 1-D
  static Tensor ScalarUint8(uint8_t v);
  static Tensor ScalarInt8(int8_t v);
};

// Node attribute: int, float, string, ints, floats or a tensor (Constant).
struct Attribute {
  std::string name;
  std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>, Tensor> value;
};

struct Node {
  std::string op_type;
  std::string domain;  // "" (ai.onnx) or "com.microsoft"
  std::string name;
  std::vector<std::string> inputs;   // "" for an omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute* FindAttribute(const std::string& attr) const;
};

// A graph input or output: element type and dims (a dim is either a fixed
// size or a symbolic name such as "batch").
struct ValueInfo {
  std::string name;
  DType dtype = DType::kFloat;
  std::vector<std::variant<int64_t, std::string>> dims;
};

// An in-memory ONNX model: what the graph builders produce, the quantiser
// rewrites and onnx_proto_io.h reads and writes. Nodes are in topological
// order. A plain value; not thread-safe.
struct Graph {
  std::string name = "imi";
  std::string producer = "imi";
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes;
  std::map<std::string, Tensor> initializers;
  std::map<std::string, int64_t> opsets = {{"", 17}};  // domain -> version
  std::map<std::string, std::string> metadata;        // metadata_props
};

// Adds nodes and constants to a Graph with unique generated names. Each Op
// returns its output value names. Used by every architecture builder, so a
// head (pooler, classifier) is appended by calling Op on the encoder's
// output name. Not thread-safe.
class GraphBuilder {
 public:
  explicit GraphBuilder(Graph* graph) : graph_(graph) {}

  // A constant with a generated name (prefix `hint`).
  std::string Const(Tensor tensor, const std::string& hint = "const");
  // A constant with exactly this name (weights keep their checkpoint names).
  std::string Weight(const std::string& name, Tensor tensor);

  // One node with one output; attributes as given.
  std::string Op(const std::string& op_type, std::vector<std::string> inputs,
                 std::vector<Attribute> attributes = {}, const std::string& hint = "");
  // One node with `count` outputs.
  std::vector<std::string> OpN(const std::string& op_type, std::vector<std::string> inputs,
                               size_t count, std::vector<Attribute> attributes = {},
                               const std::string& hint = "", const std::string& domain = "");

  // Fresh value name with the prefix.
  std::string Fresh(const std::string& hint);

  Graph* graph() { return graph_; }

 private:
  Graph* graph_;
  int64_t counter_ = 0;
};

// Attribute shorthands.
Attribute IntAttr(const std::string& name, int64_t v);
Attribute FloatAttr(const std::string& name, float v);
Attribute IntsAttr(const std::string& name, std::vector<int64_t> v);

}  // namespace imi::convert

#endif  // IMI_CONVERT_GRAPH_H_
